"""The guest journey of docs/triggers.md ("The first of several things") behaves as written.

The file is read from the docs. Its triggers name the docs' own ``hotel.Booking``
model, so they are checked by the file format only, and the model events are
sent here as what they arrive as: signals ``event:<trigger key>`` correlated by
the booking's pk.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine import definition_format as fmt
from engine.handlers import handler
from engine.models import AuditEvent, RunState, Timer, WorkItemState
from engine.services import definitions
from tests.engine.conftest import CALLS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "triggers.md"
T0 = datetime(2030, 7, 1, 9, 0, tzinfo=UTC)
CHECK_IN = T0 + timedelta(days=3)


def _record(name):
    def record(ctx):
        CALLS.setdefault(name, []).append(ctx)

    return record


for _name in ("hotel.send_confirmation", "hotel.send_pre_checkin", "hotel.send_welcome"):
    handler(_name)(_record(_name))


def journey_file() -> dict:
    text = DOCS.read_text()
    section = text.split("## The first of several things", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    return fmt.parse_text(block, filename="journey.yaml")


@pytest.fixture
def journey(wm, time_machine):
    time_machine.move_to(T0, tick=False)
    data = journey_file()
    fmt.load(data)  # the whole file, triggers included, is a valid definition file
    assert [t["key"] for t in data["triggers"]][:2] == ["booking_created", "booking_confirmed"]
    del data["triggers"]  # (hotel.Booking is the docs' model, not installed here)
    definitions.import_definition(data, publish_it=True)
    CALLS.clear()
    return time_machine


def armed(run) -> set[str]:
    return set(
        run.workitems.filter(state=WorkItemState.WAITING).values_list("activity_key", flat=True)
    )


def test_the_guest_journey_reacts_to_each_event_and_follows_the_date(wm, journey):
    run = wm.start_run(
        "guest-journey", {"booking_id": 12, "guest": "Ana", "check_in": CHECK_IN.isoformat()}
    )
    waits = {"before_stay", "confirmed", "moved", "cancelled", "pre_checkin_due"}
    assert armed(run) == waits

    # Confirmed: the confirmation goes out and the journey waits for all four again.
    assert wm.send_signal("event:booking_confirmed", {"booking_id": 12}, correlation=12).woken
    assert len(CALLS["hotel.send_confirmation"]) == 1
    run.refresh_from_db()
    assert armed(run) == waits and run.state == RunState.WAITING
    cancelled = AuditEvent.objects.filter(instance=run, action="workitem.cancelled")
    assert sorted(cancelled.values_list("activity_key", flat=True)) == [
        "cancelled",
        "moved",
        "pre_checkin_due",
    ]

    # Another booking's event does not reach this journey.
    assert wm.send_signal("event:booking_cancelled", correlation=13).woken == []

    # The check-in moves a day later: the reminder follows the new date.
    later = CHECK_IN + timedelta(days=1)
    wm.send_signal("event:booking_moved", {"check_in": later.isoformat()}, correlation=12)
    run.refresh_from_db()
    assert armed(run) == waits
    [timer] = Timer.objects.filter(instance=run, fired_at=None)
    assert timer.due_at == later - timedelta(hours=3)
    journey.move_to(CHECK_IN - timedelta(hours=3), tick=False)
    assert wm.fire_due() == 0  # the old time: that timer was cancelled

    # Three hours before the new check-in: the reminder, then the welcome.
    journey.move_to(later - timedelta(hours=3), tick=False)
    assert wm.fire_due() == 1
    assert len(CALLS["hotel.send_pre_checkin"]) == 1
    run.refresh_from_db()
    assert armed(run) == {"welcome_due"}
    journey.move_to(later, tick=False)
    assert wm.fire_due() == 1
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and len(CALLS["hotel.send_welcome"]) == 1
    assert run.workitems.filter(activity_key="called_off").count() == 0


def test_a_cancelled_booking_ends_the_journey_and_no_timer_fires_later(wm, journey):
    run = wm.start_run("guest-journey", {"booking_id": 5, "check_in": CHECK_IN.isoformat()})
    wm.send_signal("event:booking_cancelled", {"booking_id": 5}, correlation=5)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.workitems.filter(activity_key="called_off").exists()
    assert run.workitems.get(activity_key="pre_checkin_due").state == WorkItemState.CANCELLED
    journey.move_to(CHECK_IN + timedelta(days=2), tick=False)
    assert wm.fire_due() == 0
    assert "hotel.send_pre_checkin" not in CALLS
