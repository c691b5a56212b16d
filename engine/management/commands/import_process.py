"""Import a definition file: ``manage.py import_process FILE [--publish]``."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engine.definition_format import DefinitionFileError
from engine.services import definitions as svc


class Command(BaseCommand):
    help = (
        "Create a new draft (and the process when it is new) from a JSON or YAML definition "
        "file; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the file, or - for standard input (JSON/YAML)")
        parser.add_argument("--publish", action="store_true", help="publish the new version")

    def handle(self, *args, file, publish, **options):
        if file == "-":
            text, filename = sys.stdin.read(), ""
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"There is no file {file!r}.")
            text, filename = path.read_bytes(), path.name
        try:
            version = svc.import_text(text, filename=filename, publish_it=publish)
        except DefinitionFileError as exc:
            lines = [f"  {p['loc'] or '(file)'}: {p['message']}" for p in exc.problems]
            raise CommandError(
                f"{file} was not imported ({len(lines)} problem(s)):\n" + "\n".join(lines)
            ) from exc
        except (svc.ValidationFailed, svc.DefinitionError) as exc:
            raise CommandError(f"{file} was not imported: {exc}") from exc
        version.refresh_from_db()
        self.stdout.write(f"Imported {version.process.code} v{version.number} ({version.status})")
