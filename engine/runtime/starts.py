"""Starting a run that may be a singleton: a new run, or the active one holding the value.

Every door that starts runs (the services' ``start``, triggers) goes through
``start_or_join`` so a process's ``singleton_key`` means the same everywhere
(engine.runtime.singletons).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from engine.models import ProcessInstance, Version
from engine.runtime import singletons
from engine.runtime.effects import Effects
from engine.runtime.walk import create_run


def start_or_join(
    version: Version,
    data: dict,
    *,
    business_key: str = "",
    user: Any = None,
    effects: Effects,
    trigger_key: str = "",
) -> tuple[ProcessInstance, bool]:
    """``(run, True)`` for a new run of ``version``; ``(active run, False)`` for a taken value.

    Call inside a transaction, with data already checked against the input
    schema. A joined start is audited ``run.start_deduplicated`` on the active
    run and changes nothing else. Raises InvalidData when the process has a
    singleton key and ``data`` has no usable value there.
    """
    process = version.process
    value = singletons.singleton_value(process, data)
    if not value:
        # Not a singleton process: no lookup and no savepoint on the common path.
        run = create_run(
            version,
            data,
            business_key=business_key,
            user=user,
            effects=effects,
            trigger_key=trigger_key,
        )
        return run, True
    existing = singletons.active_run(process, value)
    if existing is None:
        try:
            # A savepoint: a concurrent start that took the value first makes only this
            # insert fail (the constraint of migration 0007), not the caller's transaction.
            with transaction.atomic():
                run = create_run(
                    version,
                    data,
                    business_key=business_key,
                    user=user,
                    effects=effects,
                    trigger_key=trigger_key,
                )
            return run, True
        except IntegrityError:
            existing = singletons.active_run(process, value)
            if existing is None:
                raise
    singletons.record_joined(existing, process, user=user, business_key=business_key)
    return existing, False
