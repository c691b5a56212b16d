"""Undo and redo of a draft, kept on the server.

Each edit first stores the draft as it was (a ``waymark.process/1`` export:
a few tens of kilobytes for 200 activities) on the undo stack and empties the
redo stack. Undo puts the current draft on the redo stack and restores the
last snapshot with ``restore_snapshot``; redo is the mirror image. Whole
snapshots rather than inverse operations keep undo correct for every kind of
edit, including auto-layout and deletes that take transitions with them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction

from engine.models import Version
from engine.services import definitions

HISTORY_LIMIT = 50  # undo steps kept per draft


class EditStep(models.Model):
    UNDO = "undo"
    REDO = "redo"

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="+")
    stack = models.CharField(max_length=4, choices=[(UNDO, "Undo"), (REDO, "Redo")])
    label = models.CharField(max_length=200)
    snapshot = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["version", "stack", "id"])]

    def __str__(self) -> str:
        return f"{self.stack} {self.label} (v{self.version_id})"


def record(version: Version, label: str, *, user=None) -> None:
    """Remember the draft as it is now, before the edit called ``label``."""
    EditStep.objects.create(
        version=version,
        stack=EditStep.UNDO,
        label=label[:200],
        snapshot=definitions.export_version(version),
        user=user if getattr(user, "pk", None) else None,
    )
    EditStep.objects.filter(version=version, stack=EditStep.REDO).delete()
    old = EditStep.objects.filter(version=version, stack=EditStep.UNDO).order_by("-pk")
    stale = list(old.values_list("pk", flat=True)[HISTORY_LIMIT:])
    if stale:
        EditStep.objects.filter(pk__in=stale).delete()


def last_step(version: Version, stack: str) -> EditStep | None:
    return (
        EditStep.objects.filter(version=version, stack=stack)
        .only("pk", "label")
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def undo(version: Version, *, user=None) -> EditStep | None:
    """Go back one edit; None when there is nothing to undo."""
    return _swap(version, EditStep.UNDO, EditStep.REDO, user=user)


@transaction.atomic
def redo(version: Version, *, user=None) -> EditStep | None:
    """Redo the last undone edit; None when there is nothing to redo."""
    return _swap(version, EditStep.REDO, EditStep.UNDO, user=user)


def _swap(version: Version, source: str, target: str, *, user=None) -> EditStep | None:
    version.ensure_draft()
    step = (
        EditStep.objects.select_for_update()
        .filter(version=version, stack=source)
        .order_by("-pk")
        .first()
    )
    if step is None:
        return None
    EditStep.objects.create(
        version=version,
        stack=target,
        label=step.label,
        snapshot=definitions.export_version(version),
        user=user if getattr(user, "pk", None) else None,
    )
    definitions.restore_snapshot(version, step.snapshot, user=user)
    step.delete()
    return step
