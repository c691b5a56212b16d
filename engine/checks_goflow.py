"""System checks for a project coming from GoFlow2: its ``GOFLOW_*`` settings.

Waymark reads each documented ``GOFLOW_<NAME>`` as its ``WAYMARK_<NAME>`` twin
(engine.conf), and says so, so that nothing is taken or ignored without a word:

- waymark.W101: a GOFLOW_ setting is in effect under its Waymark name: rename it;
- waymark.W102: a GOFLOW_ setting is ignored because its WAYMARK_ twin is also set;
- waymark.W103: a GOFLOW_ setting Waymark has no twin for is ignored.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

from engine.conf import GOFLOW_TWINS, goflow_value

PREFIX = "GOFLOW_"
DOC = "See docs/migrating-from-goflow.md."


def goflow_settings() -> list[str]:
    """The names of the GOFLOW_* settings this project sets, sorted."""
    return sorted(name for name in dir(settings) if name.startswith(PREFIX) and name.isupper())


@register()
def check_goflow_settings(app_configs, **kwargs):
    warnings = []
    for name in goflow_settings():
        twin = name.removeprefix(PREFIX)
        value = getattr(settings, name)
        if twin not in GOFLOW_TWINS:
            warnings.append(
                Warning(
                    f"{name} is a GoFlow2 setting Waymark does not understand: it is ignored.",
                    hint=f"Remove it from the settings. {DOC}",
                    id="waymark.W103",
                )
            )
        elif hasattr(settings, f"WAYMARK_{twin}"):
            warnings.append(
                Warning(
                    f"{name} is ignored: WAYMARK_{twin} is set too, and it wins.",
                    hint=f"Remove {name} from the settings. {DOC}",
                    id="waymark.W102",
                )
            )
        else:
            meant = goflow_value(twin, value)
            warnings.append(
                Warning(
                    f"{name} = {value!r} is read as WAYMARK_{twin} = {meant!r}.",
                    hint=f"Rename it to WAYMARK_{twin} = {meant!r}. {DOC}",
                    id="waymark.W101",
                )
            )
    return warnings
