"""The precise timer loop: ``manage.py waymark_timers`` (runs until stopped)."""

import signal
import threading

from django.core.management.base import BaseCommand

from engine import scheduler
from engine.conf import waymark_setting
from engine.runtime import timers
from engine.services import scans

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Command(BaseCommand):
    help = "Fire due timers, timeouts and retries within a second; re-send lost work."

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=None, help="seconds between polls")
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args, poll, once, **options):
        for line in scheduler.install():
            self.stdout.write(f"schedules: {line}")
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
        poll = poll if poll is not None else waymark_setting("TIMER_POLL_SECONDS")
        if not once:
            self.stdout.write(f"Waymark timer loop: polling every {poll}s (Ctrl-C to stop)")
        try:
            timers.run_loop(
                poll=poll,
                stop=stop,
                housekeeping=scans.reconcile,
                max_cycles=1 if once else None,
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("timer loop stopped")
