"""Run the timeout and SLA scans and the reconciler once (the cron backend's entry point).

* * * * * /path/to/.venv/bin/python /path/to/manage.py run_scans
* * * * * /path/to/.venv/bin/python /path/to/manage.py run_scans --tenant acme
"""

from django.core.management.base import BaseCommand, CommandError

from engine.services import scans


class Command(BaseCommand):
    help = "Run the timeout scan, the SLA scan and the reconciler once (put it in crontab)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant",
            default=None,
            help="scan only this tenant's runs (default: every tenant)",
        )

    def handle(self, *args, tenant=None, **options):
        scope = None
        if tenant is not None:
            tenant = tenant.strip()
            if not tenant:
                raise CommandError("--tenant needs a tenant id.")
            scope = {"tenant_id": tenant}
        fired = scans.timeout_scan(tenant=scope)
        sla = scans.sla_scan(tenant=scope)
        # The reconciler (lost messages, dead workers, due webhooks) is housekeeping
        # for the whole installation, run by every invocation.
        fixed = scans.reconcile()
        where = f"tenant {tenant}: " if scope else ""
        self.stdout.write(
            f"{where}timers fired: {fired}; SLA warned: {sla['warned']}, "
            f"breached: {sla['breached']}; re-sent: {fixed['redispatched']}, "
            f"steps whose worker died: {fixed['workers_died']}, "
            f"signals matched: {fixed['signals_matched']}, "
            f"webhooks sent: {fixed.get('webhooks_sent', 0)}"
        )
