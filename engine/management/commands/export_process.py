"""Export a process version: ``manage.py export_process CODE [--version N] [--format yaml]``.

``--format bpmn`` writes BPMN 2.0 XML for other modelers (docs/bpmn.md).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engine import definition_format as fmt
from engine.models import Process, Version, VersionStatus
from engine.services import definitions as svc

FORMATS = ("json", "yaml", "dot", "svg", "bpmn")


def pick_version(code: str, number: int | None) -> Version:
    """The version asked for; without a number the published one, else the newest."""
    process = Process.objects.filter(code=code).first()
    if process is None:
        raise CommandError(f"There is no process with the code {code!r}.")
    versions = process.versions.all()
    if number is not None:
        version = versions.filter(number=number).first()
        if version is None:
            known = ", ".join(str(n) for n in versions.values_list("number", flat=True))
            raise CommandError(f"{code!r} has no version {number} (it has: {known}).")
        return version
    return versions.filter(status=VersionStatus.PUBLISHED).first() or versions.first()


def render(version: Version, output_format: str) -> str:
    if output_format in ("json", "yaml"):
        return fmt.dump(svc.export_version(version), output_format)
    if output_format == "bpmn":
        from engine.bpmn import export_bpmn

        return export_bpmn(version)
    from engine import drawing

    if output_format == "dot":
        return drawing.version_dot(version)
    return drawing.version_svg(version)


class Command(BaseCommand):
    help = (
        "Write a process version as a definition file (JSON or YAML), as BPMN 2.0 XML "
        "or as a graph (DOT, SVG)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version means a process version, not Django's "show the version".
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("code", help="the process code")
        parser.add_argument(
            "--version", type=int, dest="number", help="default: the published one, else the newest"
        )
        parser.add_argument("--format", choices=FORMATS, default="yaml", dest="output_format")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, code, number, output_format, output, **options):
        version = pick_version(code, number)
        text = render(version, output_format)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {code} v{version.number} ({version.status}) to {output}")
        else:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
