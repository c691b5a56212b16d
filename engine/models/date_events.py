"""Armed date events: when a published date_event trigger fires for one record.

One row per (trigger, record): ``due_at`` is the record's date field plus the
trigger's offset, in UTC. Publishing arms a row for every record whose due
time is still ahead; saving a record moves its row (or removes it when the
date is cleared or moved into the past); deleting the record removes it.
The timer loop fires a due row by deleting it (a compare-and-set on
``due_at``), so with several loops a row fires once.
"""

from __future__ import annotations

from django.db import models

from engine.models.triggers import Trigger


class DateEventFire(models.Model):
    """The next fire of one armed date_event trigger for one record."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="date_fires")
    process = models.ForeignKey("engine.Process", on_delete=models.CASCADE, related_name="+")
    # The record's primary key as text: any model's pk type (int, UUID, text) fits.
    record_pk = models.CharField(max_length=255)
    due_at = models.DateTimeField(help_text="UTC: the record's date plus the offset")

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["due_at"], name="date_event_fire_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "record_pk"], name="date_event_fire_one_per_record"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id}/{self.record_pk} at {self.due_at.isoformat()}"


__all__ = ["DateEventFire"]
