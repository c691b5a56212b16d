"""Named secrets for HTTP tasks' headers: definitions name them, settings hold them.

An HTTP task's headers map a header to a secret *name* (``{"Authorization":
"crm_token"}``); the value lives only in the deployment's settings::

    WAYMARK_HTTP_SECRETS = {
        "crm_token": "env:CRM_TOKEN",      # read from the environment when used
        "billing_key": "Bearer abc...",   # or given as is
        "crm_admin": {"value": "env:CRM_ADMIN", "hosts": ["crm.example.com"]},
    }

A designer chooses the URL and which secret goes in which header, so an
unbound secret can be sent to any public host the designer names. A secret
given with ``hosts`` is sent only to those hosts (``host`` or ``host:port``);
asked for anywhere else it fails the attempt, naming the secret, not its value.

A value is looked up when a request is sent and goes only into that request:
never into the definition, the run data, the audit log, an export or an
error message.
"""

from __future__ import annotations

import os
from typing import Any

from engine.conf import waymark_setting

ENV_PREFIX = "env:"


class MissingSecret(LookupError):
    """A secret that is not configured (its name, never a value, in the message)."""


class SecretNotForHost(MissingSecret):
    """A secret bound to other hosts than the one a request goes to."""


def names() -> list[str]:
    """The names of the configured secrets (for the designer's help and checks)."""
    return sorted(str(name) for name in (waymark_setting("HTTP_SECRETS") or {}))


def secret(name: str, host: str | None = None, port: int | None = None) -> str:
    """The value of the secret ``name`` for a request to ``host`` (MissingSecret when it is
    not configured, SecretNotForHost when it is bound to other hosts)."""
    configured = waymark_setting("HTTP_SECRETS") or {}
    if name not in configured:
        raise MissingSecret(
            f"the secret {name!r} is not configured (add it to WAYMARK_HTTP_SECRETS)"
        )
    entry = configured[name]
    if isinstance(entry, dict):
        _check_host(name, entry.get("hosts") or (), host, port)
        entry = entry.get("value", "")
    value = str(entry)
    if value.startswith(ENV_PREFIX):
        variable = value[len(ENV_PREFIX) :]
        if variable not in os.environ:
            raise MissingSecret(
                f"the secret {name!r} reads the environment variable {variable}, which is not set"
            )
        value = os.environ[variable]
    return value


def _check_host(name: str, hosts: Any, host: str | None, port: int | None) -> None:
    allowed = {str(h).lower().strip("[]").rstrip(".") for h in hosts}
    if not allowed:
        return
    found = (host or "").lower().rstrip(".")
    if found in allowed or f"{found}:{port}" in allowed:
        return
    raise SecretNotForHost(
        f"the secret {name!r} may be sent only to {', '.join(sorted(allowed))}, "
        f"not to {found or 'this address'} (its hosts in WAYMARK_HTTP_SECRETS)"
    )
