"""Standard Webhooks signatures (https://www.standardwebhooks.com), via its reference library."""

from __future__ import annotations

from datetime import datetime

from standardwebhooks import Webhook


def signature_headers(
    secrets: list[str], message_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` for ``body``.

    Each secret gives one ``v1,<base64 HMAC-SHA256("id.timestamp.body")>``,
    space-separated: during a rotation receivers accept either key.
    """
    signatures = " ".join(Webhook(s).sign(message_id, timestamp, body) for s in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }


SIGNATURE_HEADERS = frozenset({"webhook-id", "webhook-timestamp", "webhook-signature"})
