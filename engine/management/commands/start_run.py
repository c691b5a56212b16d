"""Start a run of a process: ``manage.py start_run CODE --data '{"amount": 5}'``."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from engine.services import runtime


class Command(BaseCommand):
    help = "Start a run of a published process."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the process code")
        parser.add_argument("--data", default="{}", help="run data as a JSON object")
        parser.add_argument("--business-key", default="")
        parser.add_argument("--user", default="", help="user name of the starter")

    def handle(self, *args, code, data, business_key, user, **options):
        try:
            payload = json.loads(data)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--data is not JSON: {exc}") from exc
        starter = None
        if user:
            starter = get_user_model().objects.filter(username=user).first()
            if starter is None:
                raise CommandError(f"There is no user {user!r}.")
        try:
            started = runtime.start(code, payload, business_key=business_key, user=starter)
        except runtime.EngineError as exc:
            raise CommandError(exc.message) from exc
        run = started.run
        run.refresh_from_db()
        if not started.created:
            self.stdout.write(
                f"No new run: run {run.pk} of {code} is active with the same "
                f"{run.process.singleton_key} ({run.singleton_value}): {run.state}"
            )
            return
        self.stdout.write(f"Started run {run.pk} of {code} v{run.version.number}: {run.state}")
