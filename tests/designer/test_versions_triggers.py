"""The compare page lists trigger changes (triggers are part of a version, not drawn)."""

import pytest
from django.urls import reverse

from engine.services import definitions, triggers

pytestmark = pytest.mark.django_db


def test_the_compare_page_lists_added_and_changed_triggers(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("vera", password="pw-vera-123"))
    process = definitions.create_process("nightly", "Nightly job")
    v1 = process.versions.get(number=1)
    triggers.add_trigger(v1, "nightly", kind="schedule", cron="30 7 * * *", timezone="Asia/Tehran")
    definitions.publish(v1)
    v2 = definitions.clone(v1)
    triggers.update_trigger(v2.triggers.get(key="nightly"), cron="0 8 * * *")
    triggers.add_trigger(v2, "weekly", kind="schedule", cron="0 9 * * 1", timezone="UTC")
    body = client.get(reverse("versions:compare", args=("nightly",)), {"a": 1, "b": 2})
    body = body.content.decode()
    assert 'id="change-trigger-nightly"' in body and 'id="change-trigger-weekly"' in body
    assert "30 7 * * *" in body and "0 8 * * *" in body
    assert 'data-element="trigger"' in body
