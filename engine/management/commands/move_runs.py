"""Move running runs to another version: ``manage.py move_runs CODE --from N --to M``."""

from django.core.management.base import BaseCommand, CommandError

from engine.errors import RunsCannotMove
from engine.management.commands.export_process import pick_version
from engine.services.moving import move_runs


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["review=approve", ...]`` as a mapping of activity keys."""
    mapping = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise CommandError(f"--map {pair!r}: write OLD_KEY=NEW_KEY.")
        mapping[old.strip()] = new.strip()
    return mapping


class Command(BaseCommand):
    help = (
        "Move the active runs of one version of a process to another, all or nothing; "
        "activity keys map to themselves unless --map says otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the process code")
        parser.add_argument("--from", type=int, required=True, dest="source", help="version")
        parser.add_argument("--to", type=int, required=True, dest="target", help="version")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="OLD=NEW",
            help="an activity key of the source and its key in the target (repeatable)",
        )
        parser.add_argument(
            "--run", action="append", type=int, dest="runs", help="only this run id (repeatable)"
        )

    def handle(self, *args, code, source, target, map, runs, **options):
        mapping = parse_mapping(map)
        old, new = pick_version(code, source), pick_version(code, target)
        try:
            moved = move_runs(old, new, mapping=mapping, run_ids=runs)
        except RunsCannotMove as exc:
            lines = [f"  {p['path']}: {p['message']}" for p in exc.problems]
            raise CommandError(
                f"No run was moved ({len(lines)} problem(s)):\n" + "\n".join(lines)
            ) from exc
        self.stdout.write(f"Moved {len(moved)} run(s) of {code} from v{source} to v{target}.")
