"""Import a definition file: ``manage.py import_process FILE [--publish]``.

A ``.bpmn`` or ``.xml`` file (or XML on standard input) is read as BPMN 2.0;
the elements it could not carry over are listed (docs/bpmn.md).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engine import bpmn
from engine.definition_format import DefinitionFileError
from engine.services import definitions as svc


class Command(BaseCommand):
    help = (
        "Create a new draft (and the process when it is new) from a JSON, YAML or BPMN 2.0 "
        "definition file; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="path of the file, or - for standard input (JSON/YAML/BPMN)"
        )
        parser.add_argument("--publish", action="store_true", help="publish the new version")

    def handle(self, *args, file, publish, **options):
        if file == "-":
            text, filename = sys.stdin.read(), ""
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"There is no file {file!r}.")
            text, filename = path.read_bytes(), path.name
        skipped: list[bpmn.Skipped] = []
        try:
            if bpmn.looks_like_bpmn(text, filename):
                version, skipped = bpmn.import_bpmn(text, publish_it=publish)
            else:
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
        if skipped:
            self.stdout.write(f"Not carried over ({len(skipped)}):")
            for item in skipped:
                self.stdout.write(
                    f"  {item.element_id or '(no id)'} ({item.element_type}): {item.reason}"
                )
