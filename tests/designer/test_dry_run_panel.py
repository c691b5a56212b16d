"""The editor's Dry run panel and the Handlers page, through Django's test client."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission

from tests.engine.test_dry_run import CALLED, expense_draft, row_counts

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
URL = "/processes/expense/versions/1/dry-run/"


@pytest.fixture
def designer(client, django_user_model):
    user = django_user_model.objects.create_user("dora", password="pw-dora-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client.force_login(user)
    CALLED.clear()
    return client


def post(client, **fields):
    return client.post(URL, {"data": "{}", "answers": "{}", **fields}, **HX).content.decode()


def test_the_editor_has_the_panel_and_the_nav_links_the_handlers_page(designer):
    expense_draft()
    page = designer.get("/processes/expense/versions/1/").content.decode()
    assert 'id="dry-run-form"' in page and 'data-handlers-url="/api/v1/handlers/"' in page
    assert 'href="/handlers/"' in page
    listing = designer.get("/handlers/").content.decode()
    assert "test.dry.pay" in listing and "Pays, unless it is a dry run." in listing
    assert "payment_reference" in listing  # demo.pay writes it


def test_step_through_a_human_task_with_its_form(designer):
    expense_draft()
    before = row_counts()
    first = post(designer, data='{"amount": 5000}', restart="1")
    assert 'data-waiting="review"' in first
    assert 'name="task-note"' in first  # the task's form, drawn from its schema
    assert "instance.data.amount &gt;= 1000" in first and "✔ taken" in first
    short = post(
        designer,
        data='{"amount": 5000}',
        answer_for="review",
        action="outcome",
        outcome="APPROVED",
        **{"task-note": "ok"},
    )
    assert "&#x27;ok&#x27; is too short" in short  # next to the field
    assert 'value="ok"' in short  # what was typed is kept
    assert 'data-waiting="review"' in short  # still there, nothing lost
    done = post(
        designer,
        data='{"amount": 5000}',
        answer_for="review",
        action="outcome",
        outcome="APPROVED",
        **{"task-note": "fine"},
    )
    assert 'data-waiting="pay"' in done
    answers = json.loads(
        done.split('id="dry-run-answers" name="answers" value="')[1]
        .split('"')[0]
        .replace("&quot;", '"')
    )
    assert answers == {"review": [{"form": {"note": "fine"}, "outcome": "APPROVED"}]}
    paid = post(
        designer,
        data='{"amount": 5000}',
        answers=json.dumps(answers),
        answer_for="pay",
        action="call",
    )
    assert "Completed" in paid and "called handler test.dry.pay" in paid
    assert CALLED and CALLED[0][0] is True
    assert row_counts() == before


def test_bad_sample_data_is_said_in_the_panel(designer):
    expense_draft()
    assert "not valid JSON" in post(designer, data="{amount", restart="1")
    assert "input schema" in post(designer, data='{"amount": "x"}', restart="1")


def test_the_sample_data_in_the_start_form(designer):
    expense_draft()
    fields = designer.get(URL, **HX).content.decode()
    assert 'name="sample-amount"' in fields and 'value="form" checked' in fields
    refused = post(designer, data_mode="form", restart="1", **{"sample-amount": "lots"})
    assert 'id="dry-run-inputs" hx-swap-oob="innerHTML"' in refused
    assert "has-error" in refused and 'value="lots"' in refused
    ran = post(designer, data_mode="form", restart="1", **{"sample-amount": "20"})
    assert 'data-waiting="pay"' in ran and 'hx-swap-oob="innerHTML"' not in ran
