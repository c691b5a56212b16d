"""The HTTP task: a step that calls another service, configured as data.

A worker runs it as it runs an automatic task's handler (``engine.runtime.worker``),
so it has the same retry policy, lease and exactly-once recording. One attempt:

1. the URL and body are filled from the run data (``engine.core.http_templates``);
2. headers: each header the activity names gets the value of its secret
   (``engine.http_secrets``), and ``Idempotency-Key`` is the step's key, the
   same for every attempt, so the service can drop a repeated call;
3. the request goes through requests-hardened, as webhook deliveries do
   (``engine.webhooks.http``): the host is resolved and a private, loopback,
   link-local or otherwise non-public address is refused, at every redirect
   hop too, unless ``WAYMARK_HTTP_ALLOW_PRIVATE`` is set or the host is in
   ``WAYMARK_HTTP_ALLOWED_HOSTS``; secret headers are dropped when a redirect
   leaves the host;
4. a 2xx answer of at most ``WAYMARK_HTTP_MAX_RESPONSE_BYTES`` is read as
   JSON (as text when it is not JSON), the result path picks a part of it,
   and that is stored under the result key or merged into the data.

Anything else — a refused address, a timeout, an answer too large, a status
that is not 2xx (named in the error) — is a failed attempt, retried per the
activity's policy and an incident after the last one. Secret values never
appear in errors, the run data or the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_hardened import Config

from engine import http_secrets
from engine.conf import waymark_setting
from engine.core import http_templates
from engine.core.graph import Activity
from engine.handlers import HandlerContext, HandlerResult
from engine.webhooks.http import _DeliverySession

USER_AGENT = "Waymark-HTTP-Task/1"
ERROR_EXCERPT = 300  # characters of a refused answer quoted in the error


class HttpTaskError(Exception):
    """A failed attempt of an HTTP task, in words people can act on."""


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    body: dict[str, Any] | None
    headers: dict[str, str]
    secret_headers: tuple[str, ...]


def handler_for(activity: Activity) -> Callable[[HandlerContext], HandlerResult]:
    """The step function of an HTTP activity, called by the worker like a handler."""
    return partial(call, activity)


def call(activity: Activity, ctx: HandlerContext) -> HandlerResult:
    """One attempt: send the request, return the data to merge (HttpTaskError if it failed)."""
    request = build_request(activity, ctx)
    try:
        answer = send(request)
    except HttpTaskError as exc:
        raise HttpTaskError(_scrubbed(str(exc), request)) from None
    return HandlerResult(result_data(activity, answer))


def _scrubbed(message: str, request: Request) -> str:
    """The message with every secret value blotted out (a last line of defence)."""
    for name in request.secret_headers:
        value = request.headers.get(name, "")
        if len(value) >= 4:
            message = message.replace(value, "[secret]")
            message = message.replace(repr(value)[1:-1], "[secret]")
    return message


def build_request(activity: Activity, ctx: HandlerContext) -> Request:
    try:
        url = http_templates.render_url(activity.http_url, ctx.data)
        body = http_templates.render_body(activity.http_body, ctx.data) or None
    except http_templates.TemplateError as exc:
        raise HttpTaskError(f"cannot build the request: {exc}") from None
    headers = {"Accept": "application/json", "Idempotency-Key": ctx.idempotency_key}
    if body is not None:
        headers["Content-Type"] = "application/json"
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for header, name in activity.http_headers.items():
        try:
            headers[header] = http_secrets.secret(name, parts.hostname, port)
        except http_secrets.MissingSecret as exc:
            raise HttpTaskError(f"the header {header}: {exc}") from None
    return Request(activity.http_method.upper(), url, body, headers, tuple(activity.http_headers))


class _TaskSession(_DeliverySession):
    """The webhook session's rules, plus hosts an administrator allowed by name.

    requests asks ``get_adapter`` for every hop, redirects included, so an
    allowed host is reached directly and every other host goes through the
    address filter.
    """

    allowed: frozenset[str] = frozenset()

    def get_adapter(self, url: str) -> requests.adapters.BaseAdapter:
        if _host_allowed(url, self.allowed):
            return self._direct
        return super().get_adapter(url)

    @property
    def _direct(self) -> HTTPAdapter:
        if not hasattr(self, "_direct_adapter"):
            self._direct_adapter = HTTPAdapter()
        return self._direct_adapter

    def close(self) -> None:
        super().close()
        if hasattr(self, "_direct_adapter"):
            self._direct_adapter.close()


def _host_allowed(url: str, allowed: frozenset[str]) -> bool:
    if not allowed:
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host in allowed or f"{host}:{port}" in allowed


def _session(secret_headers: tuple[str, ...]) -> _TaskSession:
    timeout = float(waymark_setting("HTTP_TIMEOUT"))
    config = Config(
        ip_filter_enable=not waymark_setting("HTTP_ALLOW_PRIVATE"),
        ip_filter_allow_loopback_ips=False,
        never_redirect=False,
        default_timeout=(timeout, timeout),
        user_agent_override=USER_AGENT,
    )
    session = _TaskSession(config)
    session.private_headers = secret_headers
    session.allowed = frozenset(
        str(host).lower().strip("[]") for host in waymark_setting("HTTP_ALLOWED_HOSTS") or ()
    )
    session.max_redirects = int(waymark_setting("HTTP_MAX_REDIRECTS"))
    session.trust_env = False  # a proxy from the environment would bypass the address check
    return session


def send(request: Request) -> Any:
    """The JSON (or text) of a 2xx answer; HttpTaskError for anything else."""
    limit = int(waymark_setting("HTTP_MAX_RESPONSE_BYTES"))
    data = json.dumps(request.body).encode() if request.body is not None else None
    try:
        with _session(request.secret_headers) as session:
            response = session.request(
                request.method, request.url, data=data, headers=request.headers, stream=True
            )
            try:
                raw = response.raw.read(limit + 1, decode_content=True) or b""
            finally:
                response.close()
    except requests.RequestException as exc:
        raise HttpTaskError(describe(exc, request)) from None
    except Exception as exc:  # noqa: BLE001 - its message might quote a header: the type only
        raise HttpTaskError(f"{_what(request)}: {type(exc).__name__}") from None
    if len(raw) > limit:
        raise HttpTaskError(f"{_what(request)}: the answer is larger than {limit} bytes")
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    if not 200 <= response.status_code < 300:
        excerpt = text[:ERROR_EXCERPT].replace("\x00", "")
        raise HttpTaskError(
            f"{_what(request)} answered {response.status_code} {response.reason}: {excerpt}"
        )
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def result_data(activity: Activity, answer: Any) -> dict[str, Any]:
    """What the answer adds to the run data."""
    try:
        value = http_templates.pick(answer, activity.http_result_path)
    except http_templates.TemplateError as exc:
        raise HttpTaskError(str(exc)) from None
    if activity.http_result_key:
        return {activity.http_result_key: value}
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise HttpTaskError(
        "the answer is not a JSON object, so it cannot be merged into the data: "
        "set a result key to store it"
    )


def _what(request: Request) -> str:
    parts = urlsplit(request.url)
    return f"{request.method} {parts.scheme}://{parts.netloc}{parts.path}"


def describe(exc: Exception, request: Request) -> str:
    """A short reason for a request that got no answer (never a header's value)."""
    from requests_hardened.ip_filter import InvalidIPAddress

    if isinstance(exc, InvalidIPAddress):
        return (
            f"{_what(request)}: refused: the address {exc} is private, loopback, link-local "
            "or otherwise not public (WAYMARK_HTTP_ALLOWED_HOSTS or "
            "WAYMARK_HTTP_ALLOW_PRIVATE allows it)"
        )
    if isinstance(exc, requests.exceptions.InvalidHeader):
        return f"{_what(request)}: a header value is not valid (a line break in a secret?)"
    if isinstance(exc, requests.TooManyRedirects):
        return f"{_what(request)}: too many redirects"
    if isinstance(exc, requests.Timeout):
        return f"{_what(request)}: timed out after {waymark_setting('HTTP_TIMEOUT')} s"
    if isinstance(exc, requests.ConnectionError):
        return f"{_what(request)}: could not connect ({type(exc).__name__})"
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"{_what(request)}: {type(exc).__name__}: {first[:300]}"
