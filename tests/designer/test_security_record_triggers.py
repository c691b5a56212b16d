"""The editor's Triggers panel refuses a record trigger that reads a secret, next to the field."""

import html

import pytest

from tests.designer.test_editor_triggers import (  # noqa: F401  (fixtures)
    BASE,
    HX,
    designer,
    field_error,
    record_trigger,
    text,
    version,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"on": "create", "data": '{"h": "record.password"}'}, "data", "holds a secret"),
        ({"on": "update", "watch": "password"}, "watch", "holds a secret"),
        ({"on": "create", "condition": "record.email != ''"}, "condition", "not open"),
        ({"model": "authtoken.Token", "on": "create"}, "model", "not open to triggers"),
    ],
)
def test_the_panel_refuses_reading_a_secret_next_to_the_field(
    designer,  # noqa: F811
    version,  # noqa: F811
    fields,
    field,
    words,
):
    fields = {"model": "auth.User", **fields}
    body = text(designer.post(BASE + "triggers/", record_trigger("model_event", **fields), **HX))
    assert words in html.unescape(field_error(body, field))
    assert not version.triggers.exists()
