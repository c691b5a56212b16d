"""The verification snippets in docs/webhooks.md work against what Waymark sends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.models.webhooks import new_secret
from engine.webhooks.signing import signature_headers

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def snippet(marker: str, secret: str) -> dict:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    (code,) = [b for b in blocks if marker in b]
    namespace: dict = {}
    exec(code.replace('"whsec_…"', repr(secret)), namespace)  # noqa: S102 - our own docs
    return namespace


def test_the_plain_hmac_snippet_accepts_ours_and_refuses_forgeries_and_replays():
    secret = new_secret()
    verify = snippet("SECRET = base64", secret)["verify"]
    body = '{"id":1,"action":"test.ping"}'
    now = datetime.now(UTC)
    assert verify(body.encode(), signature_headers([secret], "msg_1", now, body))
    assert not verify(b'{"id":2}', signature_headers([secret], "msg_1", now, body))
    other = signature_headers([new_secret()], "msg_1", now, body)
    assert not verify(body.encode(), other)
    old = signature_headers([secret], "msg_1", now - timedelta(minutes=6), body)
    assert not verify(body.encode(), old)
    rotated = signature_headers([new_secret(), secret], "msg_1", now, body)
    assert verify(body.encode(), rotated)


def test_the_library_snippet_returns_the_event_or_refuses():
    secret = new_secret()
    receive = snippet("from standardwebhooks", secret)["receive"]
    body = '{"id":1,"action":"test.ping"}'
    headers = signature_headers([secret], "msg_1", datetime.now(UTC), body)
    assert receive(body.encode(), headers) == {"id": 1, "action": "test.ping"}
    with pytest.raises(PermissionError):
        receive(b'{"id":1,"action":"run.completed"}', headers)
