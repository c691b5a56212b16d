"""The editor's Triggers panel (test client): add, edit, delete, refusals, the preview."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from designer import trigger_words
from designer.models import EditStep
from engine.services import definitions as svc
from engine.services import triggers as trigger_service

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
BASE = "/processes/leave/versions/1/"


@pytest.fixture
def version():
    return svc.create_process("leave", "Leave request").versions.get()


@pytest.fixture
def designer(django_user_model):
    user = django_user_model.objects.create_user("dana", password="pw-dana-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def field_error(body: str, field: str) -> str:
    """The error shown in the field group of ``trigger-<field>`` (empty: none)."""
    group = re.search(
        rf'<div class="field has-error">\s*<label for="id_trigger-{field}".*?</div>', body, re.S
    )
    assert group, f"no error next to {field}"
    return html.unescape(re.sub(r"\s+", " ", group.group(0)))


def schedule(key="nightly", cron="30 7 * * *", zone="Asia/Tehran", **more):
    return {
        "trigger-key": key,
        "trigger-kind": "schedule",
        "trigger-cron": cron,
        "trigger-timezone": zone,
        "trigger-concurrency": "skip",
        "trigger-data": '{"mode": "nightly"}',
        **more,
    }


def test_add_a_schedule_trigger_draws_its_start_marker_and_is_undoable(designer, version):
    response = designer.post(BASE + "triggers/", schedule(), **HX)
    assert response.status_code == 200
    body = text(response)
    assert "Added trigger nightly." in body
    trigger = version.triggers.get(key="nightly")
    assert (trigger.cron, trigger.timezone, trigger.concurrency) == (
        "30 7 * * *",
        "Asia/Tehran",
        "skip",
    )
    assert trigger.data == {"mode": "nightly"}
    # The start marker with a dashed edge to the start activity, and the row in the list.
    assert 'class="trigger-marker trigger-schedule" data-trigger="nightly"' in body
    assert 'class="trigger-edge" data-trigger="nightly"' in body
    assert "At 07:30 (Asia/Tehran)" in body
    assert EditStep.objects.filter(version=version, label="Add trigger nightly").exists()
    designer.post(BASE + "undo/", **HX)
    assert not version.triggers.exists()


def test_an_invalid_cron_is_refused_next_to_the_cron_field(designer, version):
    response = designer.post(BASE + "triggers/", schedule(cron="61 * * * *"), **HX)
    body = text(response)
    assert "Not saved" in body
    assert "invalid cron" in field_error(body, "cron")
    assert not version.triggers.exists()
    # The form keeps what was typed, and no undo step is left behind.
    assert 'value="61 * * * *"' in body
    assert not EditStep.objects.filter(version=version).exists()


def test_an_unknown_zone_and_bad_data_are_refused_next_to_their_fields(designer, version):
    body = text(designer.post(BASE + "triggers/", schedule(zone="Mars/Olympus"), **HX))
    assert "unknown time zone 'Mars/Olympus'" in field_error(body, "timezone")
    body = text(designer.post(BASE + "triggers/", schedule(**{"trigger-data": "[1]"}), **HX))
    assert "must be a JSON object" in field_error(body, "data")
    assert not version.triggers.exists()


def test_a_taken_key_is_refused_next_to_the_key(designer, version):
    trigger_service.add_trigger(version, "nightly", kind="schedule", cron="0 1 * * *")
    body = text(designer.post(BASE + "triggers/", schedule(), **HX))
    assert "already has a trigger 'nightly'" in field_error(body, "key")


def test_each_kind_shows_only_its_own_fields(designer, version):
    fields = {
        "schedule": {"cron", "timezone"},
        "model_event": {"model", "on", "watch", "condition"},
        "date_event": {"model", "date_field", "offset", "condition"},
        "signal": {"signal"},
    }
    every = set().union(*fields.values())
    for kind, own in fields.items():
        body = text(designer.get(BASE + "triggers/", {"kind": kind}, **HX))
        shown = {f for f in every if f'name="trigger-{f}"' in body}
        assert shown == own, kind
        assert 'name="trigger-data"' in body and 'name="trigger-concurrency"' in body


def record_trigger(kind, **fields):
    data = {"trigger-key": "t", "trigger-kind": kind, "trigger-concurrency": "allow"}
    data.update({f"trigger-{name}": value for name, value in fields.items()})
    return data


@pytest.mark.parametrize(
    ("kind", "fields", "field", "message"),
    [
        ("model_event", {"model": "nope.Nothing", "on": "create"}, "model", "nope.Nothing"),
        (
            "model_event",
            {"model": "auth.Group", "on": "update", "watch": "colour"},
            "watch",
            "colour",
        ),
        (
            "model_event",
            {"model": "auth.Group", "on": "create", "condition": "record.name =="},
            "condition",
            "",
        ),
        (
            "date_event",
            {"model": "auth.User", "date_field": "last_login", "offset": "soon"},
            "offset",
            "invalid offset",
        ),
        ("date_event", {"model": "auth.User", "date_field": "username"}, "date_field", ""),
    ],
)
def test_record_trigger_refusals_are_shown_next_to_their_field(
    designer, version, kind, fields, field, message
):
    body = text(designer.post(BASE + "triggers/", record_trigger(kind, **fields), **HX))
    assert message in field_error(body, field)
    assert not version.triggers.exists()


def test_record_and_signal_triggers_are_added_with_their_fields(designer, version):
    designer.post(
        BASE + "triggers/",
        {
            **record_trigger("model_event", model="auth.Group", watch="name"),
            "trigger-on": ["create", "update"],
            "trigger-condition": "record.name == 'vip'",
            "trigger-data": '{"group_id": "record.pk"}',
        },
        **HX,
    )
    trigger = version.triggers.get(key="t")
    assert (trigger.on, trigger.watch, trigger.data) == (
        ["create", "update"],
        ["name"],
        {"group_id": "record.pk"},
    )
    body = text(
        designer.post(
            BASE + "triggers/",
            {**record_trigger("signal", signal="guest.arrived"), "trigger-key": "go"},
            **HX,
        )
    )
    assert 'class="trigger-marker trigger-signal" data-trigger="go"' in body
    assert 'class="trigger-marker trigger-model_event" data-trigger="t"' in body
    assert "auth.Group on create, update of name when record.name == &#x27;vip&#x27;" in body


def test_edit_and_delete_a_trigger(designer, version):
    trigger_service.add_trigger(version, "nightly", kind="schedule", cron="0 1 * * *")
    body = text(designer.get(BASE + "triggers/nightly/", **HX))
    assert 'value="0 1 * * *"' in body and "Delete trigger" in body
    response = designer.post(
        BASE + "triggers/nightly/", schedule(key="renamed", cron="0 8 * * 1"), **HX
    )
    assert "Saved trigger nightly." in text(response)
    trigger = version.triggers.get()  # the key never changes
    assert (trigger.key, trigger.cron) == ("nightly", "0 8 * * 1")
    body = text(designer.post(BASE + "triggers/nightly/", schedule(cron="bad"), **HX))
    assert "invalid cron" in field_error(body, "cron")
    designer.post(BASE + "triggers/nightly/delete/", **HX)
    assert not version.triggers.exists()


def test_a_published_version_shows_its_triggers_read_only_with_the_next_fire(designer, version):
    trigger_service.add_trigger(
        version, "nightly", kind="schedule", cron="30 7 * * *", timezone="Asia/Tehran"
    )
    svc.publish(version)
    body = text(designer.get(BASE))
    assert "Next fire:" in body and "(+0330)" in body
    assert 'id="add-trigger"' not in body
    body = text(designer.get(BASE + "triggers/nightly/", **HX))
    assert "Save trigger" not in body and "disabled" in body
    response = designer.post(BASE + "triggers/nightly/", schedule(cron="0 1 * * *"), **HX)
    assert "cannot change" in text(response)
    assert version.triggers.get().cron == "30 7 * * *"


def test_the_preview_gives_the_cron_in_words_and_five_times_in_its_zone(designer, version):
    response = designer.get(
        BASE + "trigger-preview/",
        {
            "trigger-kind": "schedule",
            "trigger-cron": "30 7 * * *",
            "trigger-timezone": "Asia/Tehran",
        },
    )
    body = text(response)
    assert "At 07:30" in body
    assert body.count("07:30 (+0330)") == 5
    body = text(
        designer.get(BASE + "trigger-preview/", {"trigger-kind": "schedule", "trigger-cron": "x"})
    )
    assert "invalid cron" in body


def test_the_preview_gives_a_date_event_offset_in_words(designer, version):
    query = {"trigger-kind": "date_event", "trigger-date_field": "last_login"}
    body = text(designer.get(BASE + "trigger-preview/", {**query, "trigger-offset": "-1h"}))
    assert "1 hour before last_login" in body
    body = text(designer.get(BASE + "trigger-preview/", {**query, "trigger-offset": "soon"}))
    assert "invalid offset" in body


def test_next_times_follow_the_zone_across_a_dst_change():
    # Berlin moves to summer time on 29 March 2026: 07:30 stays 07:30 on the wall clock.
    preview = trigger_words.schedule_preview(
        "30 7 * * *", "Europe/Berlin", datetime(2026, 3, 27, 12, tzinfo=UTC)
    )
    assert [t.strftime("%d %H:%M %Z") for t in preview.times][:3] == [
        "28 07:30 CET",
        "29 07:30 CEST",
        "30 07:30 CEST",
    ]


def test_offsets_and_durations_in_words():
    assert trigger_words.offset_words("-1h", "check_in") == "1 hour before check_in"
    assert trigger_words.offset_words("2d", "check_in") == "2 days after check_in"
    assert trigger_words.offset_words("", "check_in") == "at check_in"
    assert trigger_words.duration_words(timedelta(minutes=90)) == "1 hour 30 minutes"


def test_an_empty_zone_means_utc(designer, version):
    designer.post(BASE + "triggers/", schedule(zone=""), **HX)
    assert version.triggers.get().timezone == "UTC"


def test_without_htmx_the_forms_work_as_plain_pages(designer, version):
    response = designer.post(BASE + "triggers/", schedule(cron="bad"))
    assert response.status_code == 400
    assert "invalid cron" in field_error(text(response), "cron")
    response = designer.post(BASE + "triggers/", schedule())
    assert response.status_code == 302 and response.url == BASE
    assert "Added trigger nightly." in text(designer.get(BASE))
    page = text(designer.get(BASE + "triggers/", {"kind": "schedule"}))
    assert "<!doctype html>" in page and "Type a cron to see it in words" in page
