"""``manage.py waymark_celery_worker``: a Celery worker for Waymark (``celery -A config worker``).

For ``WAYMARK_SCHEDULER_BACKEND = "celery"`` (``pip install celery``). It is
the project's Celery app (config/celery.py, loaded by Django) started as a
worker; ``--beat`` also runs the scans' schedule in it (one such worker per
deployment, or run ``celery -A config beat`` once instead).
"""

from importlib.util import find_spec

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Run a Celery worker for Waymark's automatic steps, timers' work, scans and webhook "
        "deliveries (WAYMARK_SCHEDULER_BACKEND = 'celery')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, help="worker processes (default: CPUs)")
        parser.add_argument("--queues", help="comma-separated queues to consume (default: celery)")
        parser.add_argument("--beat", action="store_true", help="also run the scans' schedule")
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, concurrency=None, queues=None, beat=False, loglevel="INFO", **options):
        if find_spec("celery") is None:
            raise CommandError("Celery is not installed: pip install celery (waymark.E030).")
        from celery import current_app

        if not current_app.conf.broker_url:
            raise CommandError("No Celery broker: set CELERY_BROKER_URL (waymark.E031).")
        argv = ["worker", f"--loglevel={loglevel}"]
        if concurrency:
            argv.append(f"--concurrency={concurrency}")
        if queues:
            argv.append(f"--queues={queues}")
        if beat:
            argv.append("--beat")
        current_app.worker_main(argv)
