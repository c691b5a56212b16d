"""An activity's name: required and at most 200 characters, refused with words at every door."""

from __future__ import annotations

import pytest

from engine.errors import DefinitionError, DefinitionFileError
from engine.models import Activity
from engine.services import definitions

pytestmark = pytest.mark.django_db

D = "/api/v1/processes/orders/versions/1"
LONG = "x" * 300


@pytest.fixture
def draft(api):
    client = api("dee", "design")
    client.post("/api/v1/processes/", {"code": "orders", "title": "Orders"}, format="json")
    client.post(
        f"{D}/activities/", {"key": "check", "kind": "human", "name": "Check"}, format="json"
    )
    return client


def test_the_service_refuses_a_blank_or_long_name_and_keeps_the_old_one(draft):
    check = Activity.objects.get(key="check")
    with pytest.raises(DefinitionError, match="needs a name") as blank:
        definitions.update_activity(check, name="   ")
    assert blank.value.field == "name"
    with pytest.raises(DefinitionError, match="at most 200 characters; this one has 300"):
        definitions.update_activity(check, name=LONG)
    with pytest.raises(DefinitionError, match="at most 200 characters"):
        definitions.add_activity(check.version, "human", name=LONG)
    assert Activity.objects.get(key="check").name == "Check"


@pytest.mark.parametrize(("name", "words"), [("", "needs a name"), (LONG, "200 characters")])
def test_the_api_refuses_it_with_the_error_shape(draft, name, words):
    answer = draft.patch(f"{D}/activities/check/", {"name": name}, format="json")
    assert answer.status_code == 400
    assert words in str(answer.json())
    added = draft.post(f"{D}/activities/", {"kind": "human", "name": LONG}, format="json")
    assert added.status_code == 400 and "200" in str(added.json())
    assert Activity.objects.get(key="check").name == "Check"


def test_a_file_with_a_long_name_is_refused_not_cut():
    text = f"""
format: waymark.process/1
process: {{code: longname, title: Long name}}
activities:
  - {{key: start, kind: start, name: Start}}
  - {{key: check, kind: human, name: {LONG}}}
  - {{key: end, kind: end, name: End}}
transitions:
  - {{key: t1, source: start, target: check}}
  - {{key: t2, source: check, target: end}}
"""
    with pytest.raises(DefinitionFileError, match="activities.1..name: .*at most 200 characters"):
        definitions.import_text(text, filename="long.yaml")
    assert not Activity.objects.filter(version__process__code="longname").exists()


def test_the_new_process_form_says_a_title_is_too_long_rather_than_cutting_it():
    from designer.versions.forms import ProcessForm

    form = ProcessForm({"title": LONG})
    assert not form.is_valid()
    assert "at most 200 characters (it has 300)" in form.errors["title"][0]
    assert "maxlength" not in str(form["title"])
    assert "required" in ProcessForm({"title": " "}).errors["title"][0]
