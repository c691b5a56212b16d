"""GoFlow2 processes written as Waymark drafts, through the definitions service."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from engine.definition_format import DefinitionFileError
from engine.goflow.mapping import Note, process_code, to_definition
from engine.goflow.source import GoflowProcess
from engine.models import Process
from engine.services import definitions


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)  # "code vN (draft) from ..."
    failed: list[str] = field(default_factory=list)  # processes not imported, and why
    notes: list[Note] = field(default_factory=list)  # what was not carried over as it was

    @property
    def lost(self) -> list[Note]:
        return [n for n in self.notes if n.lost]

    @property
    def changed(self) -> list[Note]:
        return [n for n in self.notes if not n.lost]


def import_processes(
    processes: list[GoflowProcess], *, user=None, tenant_id: str = "", dry_run: bool = False
) -> ImportReport:
    """Each GoFlow2 process (each version, in order) as a new Waymark draft.

    A process that cannot be imported is reported and the others are still
    imported; ``dry_run`` writes nothing and reports the same.
    """
    report = ImportReport()
    codes = {p.pk: process_code(p) for p in processes}
    existing = set(Process.objects.filter(code__in=codes.values()).values_list("code", flat=True))
    with transaction.atomic():
        for process in processes:
            _import_one(process, codes, report, user=user, tenant_id=tenant_id)
        if dry_run:
            transaction.set_rollback(True)
    for code in sorted(existing):
        report.notes.append(
            Note(code, "", "a Waymark process had this code already: added as new drafts of it.")
        )
    return report


def _import_one(process: GoflowProcess, codes, report: ImportReport, *, user, tenant_id) -> None:
    label = f"{process.title} (#{process.pk}, version {process.version})"
    data, notes = to_definition(process, codes)
    report.notes += notes
    if not data:
        report.failed.append(f"{label}: it has no begin activity.")
        return
    try:
        with transaction.atomic():
            version = definitions.import_definition(
                data, user=user, tenant_id=process.tenant_id or tenant_id
            )
    except DefinitionFileError as exc:
        problems = "; ".join(f"{p['loc']}: {p['message']}" for p in exc.problems)
        report.failed.append(f"{label}: {problems}")
    except (definitions.ValidationFailed, definitions.DefinitionError) as exc:
        report.failed.append(f"{label}: {exc}")
    else:
        report.imported.append(f"{version.process.code} v{version.number} (draft) from {label}")
