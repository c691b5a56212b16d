# ruff: noqa: F811  (pytest fixtures imported from the shared fixtures module)
"""The designer's doors for JSON Schemas: the editor's form schema and the start form."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from engine.models import Process, ProcessInstance
from engine.services import definitions as svc
from tests.designer.test_editor_views import BASE, designer, text  # noqa: F401
from tests.designer.test_monitoring_fixtures import (  # noqa: F401
    approvers,
    deploy,
    requester,
    review,
    wm,
)
from tests.schema_sentinel import OUTSIDE, SECRET

pytestmark = pytest.mark.django_db


def test_a_typed_form_schema_with_an_outside_reference_is_refused_and_kept(designer, outside_refs):
    version = svc.create_process("leave", "Leave request").versions.get()
    svc.add_activity(version, "human", key="review", name="Review", x=200, y=200)
    typed = json.dumps({"$ref": outside_refs[1]})
    data = {
        "activity-name": "Renamed",
        "activity-x": "1",
        "activity-y": "2",
        "activity-form_schema": typed,
    }
    response = designer.post(BASE + "activities/review/", data)
    assert response.status_code == 400
    body = text(response)
    assert "Not saved" in body and "points outside this schema" in body
    assert "Renamed" in body  # what was typed is still there
    assert SECRET not in body
    review = version.activities.get(key="review")
    assert (review.name, review.form_schema) == ("Review", {})


def test_a_bad_pattern_typed_in_the_editor_is_explained(designer):
    version = svc.create_process("leave", "Leave request").versions.get()
    svc.add_activity(version, "human", key="review", name="Review", x=200, y=200)
    schema = {"properties": {"code": {"type": "string", "pattern": "(a)\\1"}}}
    data = {"activity-x": "1", "activity-y": "2", "activity-form_schema": json.dumps(schema)}
    response = designer.post(BASE + "activities/review/", data)
    assert response.status_code == 400
    assert "linear time (RE2)" in text(response)


def test_the_start_form_of_a_stored_outside_reference_explains_it(
    client, requester, review, outside_refs
):
    Process.objects.filter(code="expense").update(input_schema={"$ref": outside_refs[0]})
    client.force_login(requester)
    response = client.post(
        reverse("monitoring:run_start", args=["expense"]), {"data-requester": "rita"}
    )
    assert response.status_code == 400
    assert OUTSIDE in response.text.replace("&#x27;", "'")
    assert SECRET not in response.text
    assert not ProcessInstance.objects.exists()
