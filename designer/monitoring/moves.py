"""The runs list's bulk move: selected runs of one version moved to another."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from engine.errors import RunsCannotMove
from engine.models import ProcessInstance, Version
from engine.services.moving import move_runs


def parse_mapping(text: str) -> dict[str, str] | None:
    """``"review=approve, pay=charge"`` as a mapping of activity keys (None when malformed)."""
    mapping = {}
    for pair in text.replace("\n", ",").split(","):
        if not pair.strip():
            continue
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            return None
        mapping[old.strip()] = new.strip()
    return mapping


def move_selected(request: HttpRequest, ids: list[int]) -> None:
    """Move the selected runs (all of one version) to the version asked for; say how it went."""
    versions = set(ProcessInstance.objects.filter(pk__in=ids).values_list("version", flat=True))
    if len(versions) != 1:
        messages.error(request, "Select runs of one version of one process to move them.")
        return
    source = Version.objects.select_related("process").get(pk=versions.pop())
    mapping = parse_mapping(request.POST.get("mapping", ""))
    if mapping is None:
        messages.error(request, "Write the key mapping as old=new pairs, separated by commas.")
        return
    number = request.POST.get("to_version", "").strip()
    target = None
    if number.isdigit() and len(number) <= 9:
        target = source.process.versions.filter(number=int(number)).first()
    if target is None:
        said = number[:20] or "(none given)"
        messages.error(request, f"{source.process.title} has no version {said}.")
        return
    try:
        moved = move_runs(source, target, mapping=mapping, run_ids=ids, user=request.user)
    except RunsCannotMove as exc:
        problems = "; ".join(f"{p['path']}: {p['message']}" for p in exc.problems[:20])
        messages.error(request, f"No run was moved — {problems}")
        return
    plural = "s" if len(moved) != 1 else ""
    where = f"from v{source.number} to v{target.number}"
    messages.success(request, f"Moved {len(moved)} run{plural} {where}.")
