"""The engine at run time: moves runs through their graphs, durably.

One module per job (docs/architecture.md has the map):

- ``locks``        the run lock and why; the lock-re-read-check-bump ritual
- ``statements``   the precompiled SQL of the hot path (Django internals, isolated)
- ``walk``         ``Walk``: visit activities, route, settle the run's state
- ``kinds``        the activity kinds as a table: how a run enters each one
- ``signals``      signal waits: correlation, kept signals, waking
- ``first_of``     "wait for the first": arm every wait, the first wins, cancel the rest
- ``worker``       one automatic step in a worker (claim, handler, record, chain)
- ``compensation`` a fallen-out step's compensation handler
- ``timers``       the timer loop and firing one timer
- ``reconciler``   re-sending lost steps, counting dead workers' steps
- ``leases``       step leases and the heartbeat that renews them
- ``takeover``     a redelivered message takes over a dead worker's steps (Celery)
- ``workers``      the ``waymark_worker`` cluster (queue locks that die with their holder)
- ``data``         run data: size cap, JSON round trips, dates
- ``effects``      what a transaction queues for after it commits
- ``audit``        ``record``: the one way to write an audit event
- ``scheduler``    the queue backends (Django-Q2, cron, immediate; Celery's in
                   engine/celery_backend.py)
- ``starts``       starting a run, or joining the active one of its singleton key
- ``singletons``   at most one active run per value of a process's singleton key
- ``failing_end``  an end that fails the run on purpose, with its reason
- ``http_task``    the HTTP task: a step that calls another service, configured as data
- ``dry_run``      a version walked in memory against sample data (nothing written)
- ``triggers``     schedule triggers fired by the timer loop
- ``trigger_starts`` the start every trigger kind takes (skip, singleton, audit)
- ``model_events`` model_event triggers: the outbox row written with the record
- ``record_snapshots`` a saved record as triggers see it (JSON)
- ``record_access`` the models and fields record triggers may read
- ``date_events``  date_event triggers: one armed row per record, following its date
- ``date_timers``  timer activities bound to a date in run data, re-armed when it moves

The runtime imports the core and the models, never the services or the
doors; the services call it.
"""
