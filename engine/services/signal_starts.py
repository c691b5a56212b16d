"""Signal triggers (a message start): a signal nobody waits for starts runs.

When ``send_signal`` wakes no waiting run, every published, unpaused
process (of the signal's tenant) with a ``signal`` trigger of that name gets
a run, through ``engine.runtime.trigger_starts.start_for_trigger`` (skip,
singleton key, audit events ``trigger.fired/skipped/failed`` with the signal
and its correlation). The run's data is the trigger's data with the signal's
payload merged over it (the payload wins on the same key). A signal that
started at least one new run is used up. One that started none (no such
trigger, every start skipped or failed, or the singleton key joined an
active run) is kept as usual, so a joined run that waits for it takes it.
"""

from __future__ import annotations

from typing import Any

from engine.models import Trigger, VersionStatus
from engine.runtime.trigger_starts import start_for_trigger


def start_runs(
    name: str, payload: dict[str, Any] | None, correlation: str, reach: str | None
) -> list[int]:
    """Start a run for each armed signal trigger named ``name``; the new runs' ids."""
    triggers = Trigger.objects.filter(
        kind="signal",
        signal=name,
        version__status=VersionStatus.PUBLISHED,
        version__process__paused=False,
    ).select_related("version__process")
    if reach is not None:  # the sender's tenant only
        triggers = triggers.filter(version__process__tenant_id=reach)
    started: list[int] = []
    for trigger in triggers.order_by("pk"):
        data = {**(trigger.data or {}), **(payload or {})}
        facts = {"signal": name, "correlation": correlation}
        result = start_for_trigger(trigger, data, facts)
        if result.outcome == "started" and result.run is not None:
            started.append(result.run.pk)
    return started
