"""The outgoing HTTP request of a delivery, through requests-hardened's SSRF filter.

requests-hardened resolves the host name, refuses private, loopback,
link-local (cloud metadata), CGNAT and other non-public addresses, and
connects to the address it checked (no second lookup to race). Its adapter
runs for every request, and requests sends every redirect hop through the
adapter again, so each hop is checked. ``WAYMARK_WEBHOOK_ALLOW_PRIVATE``
turns the filter off (development, tests, a receiver on the same network).
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from requests_hardened import Config, HTTPSession

from engine.conf import waymark_setting

EXCERPT_BYTES = 2000
USER_AGENT = "Waymark-Webhooks/1"


class _DeliverySession(HTTPSession):
    """Drops the endpoint's own headers when a redirect leaves the original host.

    requests already drops ``Authorization`` there; an extra header such as
    ``X-Api-Key`` is a credential too and must not follow to another host.
    """

    private_headers: tuple[str, ...] = ()

    def rebuild_auth(self, prepared_request, response):
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in self.private_headers:
                prepared_request.headers.pop(name, None)


@dataclass
class Attempt:
    status_code: int | None
    error: str
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def session(extra_header_names: tuple[str, ...] = ()) -> requests.Session:
    timeout = float(waymark_setting("WEBHOOK_TIMEOUT"))
    config = Config(
        ip_filter_enable=not waymark_setting("WEBHOOK_ALLOW_PRIVATE"),
        ip_filter_allow_loopback_ips=False,
        never_redirect=False,
        default_timeout=(timeout, timeout),
        user_agent_override=USER_AGENT,
    )
    s = _DeliverySession(config)
    s.private_headers = extra_header_names
    s.max_redirects = int(waymark_setting("WEBHOOK_MAX_REDIRECTS"))
    s.trust_env = False  # a proxy from the environment would bypass the address check
    return s


def post(url: str, body: str, headers: dict[str, str], extra_header_names=()) -> Attempt:
    """POST ``body``; never raises: a refused address, a timeout or any error is an Attempt."""
    timeout = float(waymark_setting("WEBHOOK_TIMEOUT"))
    try:
        with session(tuple(extra_header_names)) as s:
            response = s.post(
                url, data=body.encode("utf-8"), headers=headers, timeout=timeout, stream=True
            )
            try:
                raw = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
            except Exception:  # a broken body does not change the status we got
                raw = b""
            finally:
                response.close()
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the delivery
        return Attempt(None, describe(exc), "")
    # PostgreSQL text cannot hold NUL: a binary answer must not break recording it.
    excerpt = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return Attempt(response.status_code, "", excerpt)


def describe(exc: Exception) -> str:
    """A short reason people can act on."""
    from requests_hardened.ip_filter import InvalidIPAddress

    if isinstance(exc, InvalidIPAddress):
        return (
            f"Refused: the address {exc} is private, loopback, link-local or otherwise "
            "not public (WAYMARK_WEBHOOK_ALLOW_PRIVATE allows it)."
        )
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "Too many redirects."
    if isinstance(exc, requests.Timeout):
        return f"Timed out after {waymark_setting('WEBHOOK_TIMEOUT')} s."
    if isinstance(exc, requests.ConnectionError):
        return f"Could not connect: {_first_line(exc)}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]
