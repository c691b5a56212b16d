"""Send a signal: ``manage.py send_signal payment.received --correlation 42 [--tenant acme]``."""

import json

from django.core.management.base import BaseCommand, CommandError

from engine.services import runtime


class Command(BaseCommand):
    help = "Send a signal to the runs waiting for it."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--payload", default="{}", help="a JSON object merged into run data")
        parser.add_argument("--correlation", default=None)
        parser.add_argument(
            "--tenant",
            default=None,
            help="reach only the runs of this tenant id (default: every tenant's runs)",
        )

    def handle(self, *args, name, payload, correlation, tenant, **options):
        try:
            data = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--payload is not JSON: {exc}") from exc
        try:
            result = runtime.send_signal(name, data, correlation=correlation, tenant_id=tenant)
        except runtime.EngineError as exc:
            raise CommandError(exc.message) from exc
        if result.woken:
            self.stdout.write(f"Signal {name!r} woke run(s) {', '.join(map(str, result.woken))}")
        elif result.started:
            listed = ", ".join(map(str, result.started))
            self.stdout.write(f"Signal {name!r} started run(s) {listed}")
        else:
            self.stdout.write(f"No run waits for {name!r}; kept until {result.kept.expires_at:%c}")
