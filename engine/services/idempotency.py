"""Idempotent starts: a start sent again with the same ``Idempotency-Key`` returns the first run.

The key is stored on the run (``ProcessInstance.idempotency_key``) with a digest
of the start request; a unique constraint over (process, tenant, key) makes
concurrent starts with one key yield one run, even on PostgreSQL. The same key
with a different process data or business key is refused (422): the caller
reused a key by mistake, and answering the first run would hide it.

Keys are kept as long as their run is: a retry a week later still finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction

from engine.errors import IdempotencyKeyReused, InvalidData
from engine.models import Process, ProcessInstance
from engine.runtime.effects import Effects

MAX_KEY = 200


def clean_key(key: str | None) -> str | None:
    """The key as stored (None: no key), or InvalidData for an empty or overlong one."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidData(
            f"An Idempotency-Key is 1 to {MAX_KEY} printable characters.",
            [{"path": "Idempotency-Key", "message": f"1 to {MAX_KEY} printable characters"}],
        )
    return key


def fingerprint(data: dict, business_key: str) -> str:
    """A digest of what a start asks for: the same request gives the same text."""
    text = json.dumps({"data": data, "business_key": business_key}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def first_run(process: Process, tenant_id: str, key: str, digest: str) -> ProcessInstance | None:
    """The run an earlier start with ``key`` made, or None; IdempotencyKeyReused when that
    start asked for something else."""
    run = ProcessInstance.objects.filter(
        process=process, tenant_id=tenant_id, idempotency_key=key
    ).first()
    if run is not None and run.idempotency_fingerprint != digest:
        refused = IdempotencyKeyReused(
            f"The Idempotency-Key {key!r} was already used to start run {run.pk} with other "
            "data or another business key. Send a new key for a new start, or the same "
            "request to get that run."
        )
        refused.run_id = run.pk  # a door names it only to someone who may open the run
        raise refused
    return run


def start_once(
    process: Process,
    key: str,
    digest: str,
    start: Callable[[Effects], tuple[ProcessInstance, bool]],
    effects: Effects,
) -> tuple[ProcessInstance, bool]:
    """``start(effects)`` unless a run already holds ``key``; ``(run, created)``.

    Call inside a transaction. The new run takes the key in a savepoint: when a
    concurrent start with the same key committed first, the constraint refuses
    this one, its work is rolled back (and its queued steps dropped), and that
    start's run is returned instead.
    """
    tenant_id = _tenant_of(process)
    found = first_run(process, tenant_id, key, digest)
    if found is not None:
        return found, False
    attempt = Effects()
    try:
        with transaction.atomic():
            run, created = start(attempt)
            if created:
                run.idempotency_key = key
                run.idempotency_fingerprint = digest
                run.save(update_fields=["idempotency_key", "idempotency_fingerprint"])
    except IntegrityError:
        found = first_run(process, tenant_id, key, digest)
        if found is None:
            raise
        return found, False
    effects.ready += attempt.ready
    effects.compensate += attempt.compensate
    effects.notify += attempt.notify
    effects.created.update(attempt.created)
    return run, created


def _tenant_of(process: Process) -> str:
    # A run is stamped with its process's tenant (engine.runtime.walk.create_run).
    return process.tenant_id or ""
