"""The project's Celery app, for ``WAYMARK_SCHEDULER_BACKEND = "celery"`` (Celery is optional).

It reads the ``CELERY_*`` Django settings (``CELERY_BROKER_URL``: RabbitMQ,
``amqp://user:password@host:5672//``, or Redis, ``redis://host:6379/1``).
Start workers with ``manage.py waymark_celery_worker`` (or
``celery -A config worker``) and the scans with ``celery -A config beat``.
Waymark's tasks are registered by ``engine.celery_backend``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("waymark")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # One message at a time per worker process: with late acknowledgement, a
    # message a process has prefetched waits behind its current step.
    worker_prefetch_multiplier=1,
    # Waymark needs no results: its tables hold what happened.
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)
app.autodiscover_tasks(["engine"], related_name="celery_backend")


@app.on_after_configure.connect
def periodic_scans(sender, **kwargs):
    """The scans Django-Q2 runs as schedules, as Celery beat entries (same tasks)."""
    from engine.runtime.scheduler import PERIODIC

    for name, (func, minutes) in PERIODIC.items():
        sender.add_periodic_task(60.0 * minutes, sender.signature(func), name=name)
