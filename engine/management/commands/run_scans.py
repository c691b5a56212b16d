"""Run the timeout and SLA scans and the reconciler once (the cron backend's entry point).

* * * * * /path/to/.venv/bin/python /path/to/manage.py run_scans
"""

from django.core.management.base import BaseCommand

from engine import reconciler, scans


class Command(BaseCommand):
    help = "Run the timeout scan, the SLA scan and the reconciler once (put it in crontab)."

    def handle(self, *args, **options):
        fired = scans.timeout_scan()
        sla = scans.sla_scan()
        fixed = reconciler.reconcile()
        self.stdout.write(
            f"timers fired: {fired}; SLA warned: {sla['warned']}, breached: {sla['breached']}; "
            f"re-sent: {fixed['redispatched']}, signals matched: {fixed['signals_matched']}"
        )
