"""date_event triggers and timer offsets through the doors: the file, the API, the designer form."""

import pytest
from rest_framework.test import APIClient

from designer.forms import ActivityForm
from engine.errors import DefinitionFileError
from engine.models import Activity, DateEventFire, Trigger
from engine.services import transfer

D = "/api/v1/processes/guests/versions/1"
BEFORE_DUE = {
    "key": "before_due",
    "kind": "date_event",
    "model": "auth.User",
    "date_field": "last_login",
    "offset": "-1h",
    "condition": "record.is_active == true",
    "data": {"user_id": "record.pk"},
}
BAD_INPUT = [
    ({"model": "shop.Order"}, "model", "'shop.Order' is not an installed model"),
    ({"model": "sessions.Session", "date_field": "expire_date"}, "model", "are not watched"),
    ({"date_field": "birthday"}, "date_field", "auth.User has no field 'birthday'"),
    ({"date_field": "username"}, "date_field", "auth.User.username is not a date"),
    ({"offset": "an hour before"}, "offset", "invalid offset 'an hour before'"),
    ({"date_field": ""}, "date_field", "a date_event trigger needs 'date_field'"),
]


@pytest.fixture
def root(db, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root"))
    answer = client.post("/api/v1/processes/", {"code": "guests", "title": "Guests"}, format="json")
    assert answer.status_code == 201, answer.json()
    return client


def file_with(trigger):
    return {
        "format": "waymark.process/1",
        "process": {"code": "guests", "title": "Guests"},
        "triggers": [trigger],
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "wait", "kind": "timer", "timer_date_field": "data.at"},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "wait"},
            {"key": "t2", "source": "wait", "target": "end"},
        ],
    }


def test_the_file_imports_publishes_and_arms_a_date_event(wm, django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    user = django_user_model.objects.create(username="ana", last_login=timezone.now())
    user.last_login += timedelta(days=1)
    user.save()
    version = transfer.import_definition(file_with(BEFORE_DUE), publish_it=True)
    trigger = Trigger.objects.get(version=version)
    assert (trigger.model, trigger.date_field, trigger.offset) == ("auth.User", "last_login", "-1h")
    assert DateEventFire.objects.get(trigger=trigger).record_pk == str(user.pk)
    exported = transfer.export_version(version)["triggers"][0]
    assert exported["offset"] == "-1h" and exported["date_field"] == "last_login"


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_the_file_refuses_a_bad_date_event_with_its_location(wm, change, field, message):
    with pytest.raises(DefinitionFileError) as caught:
        transfer.import_definition(file_with({**BEFORE_DUE, **change}))
    text = " ".join(f"{p['loc']}: {p['message']}" for p in caught.value.problems)
    assert "triggers[0]" in text and message in text
    assert not Trigger.objects.exists()


def test_the_api_adds_a_date_event_to_a_draft(root):
    answer = root.post(f"{D}/triggers/", BEFORE_DUE, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["date_field"] == "last_login" and answer.json()["offset"] == "-1h"


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_the_api_answers_a_bad_date_event_with_a_clear_400(root, change, field, message):
    answer = root.post(f"{D}/triggers/", {**BEFORE_DUE, **change}, format="json")
    assert answer.status_code == 400, answer.json()
    error = answer.json()["errors"][0]
    assert error["path"] == field and message in error["message"]
    assert not Trigger.objects.exists()


def test_the_api_takes_a_timer_offset_and_refuses_a_bad_one(root):
    added = root.post(
        f"{D}/activities/",
        {"key": "wait", "kind": "timer", "timer_date_field": "data.at", "timer_offset": "-1h"},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert added.json()["timer_offset"] == "-1h"
    bad = root.patch(f"{D}/activities/wait/", {"timer_offset": "later"}, format="json")
    assert bad.status_code == 400, bad.json()
    error = bad.json()["errors"][0]
    assert error["path"] == "timer_offset" and "invalid offset 'later'" in error["message"]
    assert Activity.objects.get(key="wait").timer_offset == "-1h"


def test_the_designer_form_shows_the_offset_beside_the_date_field_and_checks_it():
    form = ActivityForm({"timer_date_field": "data.at", "timer_offset": "soon"}, kind="timer")
    names = list(form.fields)
    assert names.index("timer_offset") == names.index("timer_date_field") + 1
    assert not form.is_valid()
    assert "invalid offset 'soon'" in form.errors["timer_offset"][0]
    good = ActivityForm(
        {"name": "Remind", "timer_date_field": "data.at", "timer_offset": "-1h"}, kind="timer"
    )
    assert good.is_valid(), good.errors


def test_the_api_shows_a_published_date_event_s_next_fire(wm, django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    soon = timezone.now() + timedelta(days=1)
    django_user_model.objects.create(username="ana", last_login=soon + timedelta(days=1))
    django_user_model.objects.create(username="bea", last_login=soon)
    transfer.import_definition(file_with(BEFORE_DUE), publish_it=True)
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root"))
    shown = client.get(f"{D}/triggers/before_due/").json()
    assert shown["next_fire_at"] == (soon - timedelta(hours=1)).isoformat()
    assert "cron" not in shown and shown["date_field"] == "last_login"
