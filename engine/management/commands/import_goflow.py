"""Carry a GoFlow2 project's process definitions over as Waymark drafts.

    manage.py import_goflow workflow.json   # from: manage.py dumpdata workflow --natural-foreign
    manage.py import_goflow --database goflow   # a second DATABASES entry, read only

Each GoFlow2 process (each of its versions, in order) becomes a new draft;
the report lists what could not be carried over and why.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engine.goflow.database import read_database
from engine.goflow.importing import import_processes
from engine.goflow.source import GoflowSourceError, read_dump

MAX_DUMP_BYTES = 64 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Create Waymark drafts from a GoFlow2 project's processes: a dumpdata JSON of its "
        "workflow app, or its database (--database ALIAS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="a dumpdata JSON of GoFlow2's workflow app")
        parser.add_argument("--database", help="the DATABASES alias of the GoFlow2 database")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
        parser.add_argument("--tenant", default="", help="tenant id of the new processes")

    def handle(self, *args, file=None, database=None, dry_run=False, tenant="", **options):
        if bool(file) == bool(database):
            raise CommandError("Give a dumpdata JSON file or --database ALIAS (one of them).")
        try:
            processes = read_dump(self._dump(file)) if file else read_dump(read_database(database))
        except GoflowSourceError as exc:
            raise CommandError(f"Nothing was imported: {exc}") from exc
        report = import_processes(processes, tenant_id=tenant.strip(), dry_run=dry_run)
        verb = "Would import" if dry_run else "Imported"
        for line in report.imported:
            self.stdout.write(f"{verb} {line}")
        self._section("Not imported", report.failed)
        self._section("Not carried over", [str(n) for n in report.lost])
        self._section("Carried over differently (check before publishing)", report.changed)
        if report.failed:
            raise CommandError(f"{len(report.failed)} process(es) could not be imported.")

    def _dump(self, file: str):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file!r}.")
        if path.stat().st_size > MAX_DUMP_BYTES:
            raise CommandError(f"{file} is larger than {MAX_DUMP_BYTES // 1024 // 1024} MiB.")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CommandError(f"{file} is not a JSON dump: {exc}") from exc

    def _section(self, title: str, lines) -> None:
        if lines:
            self.stdout.write(f"{title}:")
            for line in lines:
                self.stdout.write(f"  - {line}")
