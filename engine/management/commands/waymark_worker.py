"""``manage.py waymark_worker``: Waymark's Django-Q2 cluster (use it instead of ``qcluster``).

It is ``qcluster`` with one difference: a worker killed while it waits for a
task no longer wedges the whole cluster (see engine/runtime/workers.py for why).
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from engine.runtime.workers import start_cluster


class Command(BaseCommand):
    help = (
        "Run Waymark's Django-Q2 cluster (workers for automatic steps). Like qcluster, "
        "but a killed worker cannot wedge the other workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--run-once", action="store_true", help="start, then stop (a check)")

    def handle(self, *args, run_once: bool = False, **options):
        # Task payloads are signed with SECRET_KEY: fail here, not in every worker.
        settings.SECRET_KEY  # noqa: B018
        cluster = start_cluster()
        if run_once:
            cluster.stop()
        # Otherwise the cluster's sentinel is a non-daemon child: this process
        # waits for it on exit, and SIGTERM / Ctrl-C stop it (Django-Q2's handlers).
