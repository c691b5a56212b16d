"""Record-trigger receivers are connected to the models WAYMARK_TRIGGER_MODELS opens, only.

The engine's own instances (a step's workitems, runs, audit events) are then
sent no model signal a trigger receiver would have to look at, and a model an
administrator opens later is watched from then on.
"""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_init, post_save, pre_save

from engine.models import AuditEvent, ProcessInstance, WorkItem
from engine.runtime import date_events, model_events
from tests.engine.test_model_events import process, runs


@pytest.fixture(autouse=True)
def _fresh_cache():
    model_events.forget_armed()
    date_events.forget()
    yield
    model_events.forget_armed()
    date_events.forget()


def _receivers(signal, sender) -> list:
    return signal._live_receivers(sender)[0]


def test_the_engine_models_send_their_signals_to_no_trigger_receiver():
    for model in (WorkItem, ProcessInstance):
        for signal in (post_init, pre_save, post_save, post_delete):
            assert _receivers(signal, model) == [], (model, signal)
    # AuditEvent's post_save goes to the webhook receiver alone.
    assert [r.__name__ for r in _receivers(post_save, AuditEvent)] == ["on_audit_event_saved"]
    assert _receivers(post_init, AuditEvent) == []


def test_the_open_models_have_the_model_and_date_event_receivers():
    names = {r.__name__ for r in _receivers(post_save, User)}
    assert {"on_post_save", "on_record_saved"} <= names
    assert {r.__name__ for r in _receivers(post_init, Group)} == {"on_init"}


def test_a_model_opened_later_is_watched_and_one_closed_is_not(settings):
    assert _receivers(post_save, Permission) == []
    settings.WAYMARK_TRIGGER_MODELS = {"auth.Permission": ["name"], "nope.Nothing": "__all__"}
    assert {r.__name__ for r in _receivers(post_save, Permission)} >= {"on_post_save"}
    assert _receivers(post_save, Group) == []  # no longer open


def test_a_trigger_on_a_model_opened_later_fires(wm, settings):
    settings.WAYMARK_TRIGGER_MODELS = {"auth.Permission": ["name", "codename"]}
    process(
        "perm",
        {"model": "auth.Permission", "on": ["create"], "data": {"name": "record.name"}},
    )
    kind = ContentType.objects.get_for_model(Group)
    wm.run(Permission.objects.create, name="Can fly", codename="fly", content_type=kind)
    assert [run.data for run in runs("perm")] == [{"name": "Can fly"}]
