"""System checks of the settings that decide what designers may reach (waymark.W2xx).

- waymark.W201: ``WAYMARK_TRIGGER_MODELS`` names a model that is not installed,
  or a field the model does not have (a typo opens nothing, and says so);
- waymark.W202: it lists a field that holds a secret (never readable anyway);
- waymark.W203: an HTTP task secret has no ``hosts``, so a designer can send it
  to any public host a published HTTP task names.
"""

from __future__ import annotations

from django.apps import apps
from django.core.checks import Tags, Warning, register

from engine.conf import waymark_setting
from engine.runtime.record_access import ALL, is_secret


@register(Tags.security)
def check_trigger_models(app_configs, **kwargs):
    value = waymark_setting("TRIGGER_MODELS") or {}
    opened = value if isinstance(value, dict) else dict.fromkeys(value, ALL)
    problems = []
    for label, fields in opened.items():
        try:
            model = apps.get_model(str(label))
        except (LookupError, ValueError):
            message = f"WAYMARK_TRIGGER_MODELS names {label!r}, which is not an installed model."
            problems.append(Warning(message, id="waymark.W201"))
            continue
        names = {f.name for f in model._meta.concrete_fields}
        for name in [] if fields == ALL else list(fields or ()):
            if name not in names:
                message = f"WAYMARK_TRIGGER_MODELS[{label!r}] names {name!r}: no such field."
                problems.append(Warning(message, id="waymark.W201"))
            elif is_secret(name):
                message = (
                    f"WAYMARK_TRIGGER_MODELS[{label!r}] lists {name!r}, which holds a "
                    "secret: triggers never read it."
                )
                problems.append(Warning(message, id="waymark.W202"))
    return problems


@register(Tags.security)
def check_http_secret_hosts(app_configs, **kwargs):
    problems = []
    for name, entry in (waymark_setting("HTTP_SECRETS") or {}).items():
        if not (isinstance(entry, dict) and entry.get("hosts")):
            problems.append(
                Warning(
                    f"WAYMARK_HTTP_SECRETS[{name!r}] has no hosts: a designer can send it "
                    "to any public host.",
                    hint='Write {"value": ..., "hosts": ["api.example.com"]}.',
                    id="waymark.W203",
                )
            )
    return problems
