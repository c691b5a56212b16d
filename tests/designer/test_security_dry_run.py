"""The Dry run panel: only designers may call handlers, whatever the posted answers say."""

from __future__ import annotations

import json

import pytest

from tests.engine.test_dry_run import CALLED, expense_draft

pytestmark = pytest.mark.django_db

URL = "/processes/expense/versions/1/dry-run/"


@pytest.fixture
def viewer(client, django_user_model):
    """Signed in, may open the version, may not design."""
    user = django_user_model.objects.create_user("vic", password="pw-vic-123")
    client.force_login(user)
    CALLED.clear()
    return client


def test_a_crafted_call_answer_from_a_non_designer_calls_no_handler(viewer):
    expense_draft()
    answers = json.dumps({"pay": [{"call": True}]})
    page = viewer.post(URL, {"data": '{"amount": 20}', "answers": answers}).content.decode()
    assert CALLED == []
    assert "cannot call handlers" in page
    asked = viewer.post(URL, {"data": '{"amount": 20}', "answers": "{}", "call_handlers": "on"})
    assert asked.status_code == 200 and CALLED == []
