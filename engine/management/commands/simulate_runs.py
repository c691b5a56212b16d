"""Load generator: ``manage.py simulate_runs CODE -n 1000 --data '{"amount": 5}'``."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from engine.services import runtime


class Command(BaseCommand):
    help = "Start N runs of a process (a load generator); workers do the rest."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("-n", "--count", type=int, default=100)
        parser.add_argument("--data", default="{}", help="run data (JSON object) for every run")
        parser.add_argument("--business-key-prefix", default="sim-")

    def handle(self, *args, code, count, data, business_key_prefix, **options):
        try:
            payload = json.loads(data)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--data is not JSON: {exc}") from exc
        started = time.perf_counter()
        try:
            for i in range(count):
                runtime.start_run(code, payload, business_key=f"{business_key_prefix}{i}")
        except runtime.EngineError as exc:
            raise CommandError(exc.message) from exc
        elapsed = time.perf_counter() - started
        rate = count / elapsed if elapsed else 0.0
        self.stdout.write(f"Started {count} runs of {code} in {elapsed:.2f}s ({rate:.0f}/s)")
