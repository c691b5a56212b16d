"""The Celery tests' broker: a real RabbitMQ, one queue per test session.

The queue name is unique, so two runs of the suite (or two people on one
machine) never take each other's messages; it is deleted at the end.
"""

from __future__ import annotations

import os
import uuid

import pytest

BROKER = os.environ.get("WAYMARK_TEST_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//")


def reachable(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def celery_queue():
    """The name of this session's queue; the test process's Celery app sends to it."""
    pytest.importorskip("celery")
    if not reachable(BROKER):
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ is not reachable at {BROKER}")
        pytest.skip(f"needs RabbitMQ at {BROKER} (WAYMARK_TEST_CELERY_BROKER)")
    from celery import current_app
    from kombu import Queue

    queue = f"waymark-test-{uuid.uuid4().hex[:12]}"
    before = {key: current_app.conf[key] for key in ("broker_url", "task_default_queue")}
    _configure(current_app, broker_url=BROKER, task_default_queue=queue)
    yield queue
    with current_app.connection_for_write() as conn:
        Queue(queue).bind(conn).delete()
    _configure(current_app, **before)


def _configure(app, **conf) -> None:
    """Point the app at another broker or queue (its connections and routes are rebuilt)."""
    app.close()
    app.conf.update(conf)
    app.__dict__.pop("amqp", None)  # (its queues and routes were built from the old settings)


def take_messages(queue: str) -> list[tuple[str, list]]:
    """Every message waiting in ``queue`` (removed from it), as (task name, args)."""
    from celery import current_app
    from kombu import Queue

    taken = []
    with current_app.connection_for_read() as conn:
        bound = Queue(queue).bind(conn)
        while (message := bound.get(no_ack=True)) is not None:
            args = message.decode()[0]
            taken.append((message.headers["task"], list(args)))
    return taken
