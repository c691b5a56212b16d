"""Which URLs a webhook may point at.

Checked when an endpoint is saved (a clear error for people) and, for what
only DNS can tell, again at every connection and every redirect by
requests-hardened (see engine.webhooks.http).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from engine.conf import waymark_setting

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for loopback, private, link-local (metadata), CGNAT, multicast, reserved..."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def validate_url(url: str) -> str:
    """The URL, stripped, or ``ValidationError`` saying what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the URL that should receive the events.", code="required")
    if len(url) > 500:
        raise ValidationError("The URL is too long (at most 500 characters).", code="max_length")
    if any(ch.isspace() for ch in url):
        raise ValidationError("The URL must not contain spaces.", code="invalid")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise ValidationError(f"This is not a valid URL: {exc}.", code="invalid") from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationError("The URL must start with https:// (or http://).", code="scheme")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            "Put credentials in an extra header (e.g. Authorization), not in the URL.",
            code="credentials",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValidationError("The URL has no host name.", code="host")
    if port == 0:
        raise ValidationError("The URL's port must be between 1 and 65535.", code="port")
    if not waymark_setting("WEBHOOK_ALLOW_PRIVATE"):
        _refuse_private_host(host)
    return url


def _refuse_private_host(host: str) -> None:
    message = (
        "Webhooks may not be sent to private, loopback, link-local or metadata addresses "
        "(set WAYMARK_WEBHOOK_ALLOW_PRIVATE to allow them)."
    )
    if host.lower() in LOCAL_NAMES or host.lower().endswith(".localhost"):
        raise ValidationError(message, code="private")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: what it resolves to is checked when connecting
    if not is_public_ip(ip):
        raise ValidationError(message, code="private")
