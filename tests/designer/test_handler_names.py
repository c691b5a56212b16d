"""The designer: a handler nobody registered is a problem that blocks publishing."""

import html
import sys

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from engine.models import Version
from engine.services import definitions

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SENTINEL = "tests.engine.handler_sentinel"
BASE = "/processes/shell/versions/1/"


@pytest.fixture(autouse=True)
def sentinel_never_imported():
    assert SENTINEL not in sys.modules
    yield
    assert SENTINEL not in sys.modules, "a handler named by a definition was imported"


@pytest.fixture
def publisher(client, django_user_model):
    user = django_user_model.objects.create_user("paul", password="pw-paul-123")
    for codename in ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return client


@pytest.fixture
def draft():
    """Draft v1 of 'shell': start -> run (automatic, handler demo.pay) -> end."""
    version = definitions.create_process("shell", "Shell").versions.get()
    for t in version.transitions.all():
        definitions.delete_transition(t)
    start, end = version.activities.get(key="start"), version.activities.get(key="end")
    run = definitions.add_activity(
        version, "automatic", name="Run", key="run", handler="demo.pay", x=200, y=100
    )
    definitions.add_transition(version, start, run, key="t_in")
    definitions.add_transition(version, run, end, key="t_out")
    return version


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("name", ["sys.exit", "dataclasses.asdict", "os.system", f"{SENTINEL}.run"])
def test_a_handler_typed_in_the_designer_must_be_registered_to_publish(publisher, draft, name):
    saved = publisher.post(
        BASE + "activities/run/",
        {
            "activity-name": "Run",
            "activity-x": "200",
            "activity-y": "100",
            "activity-handler": name,
            "activity-retry_max_attempts": "3",
            "activity-retry_base_delay": "10",
            "activity-retry_backoff_factor": "2",
            "activity-retry_max_delay": "3600",
        },
        **HX,
    )
    assert saved.status_code == 200
    assert draft.activities.get(key="run").handler == name  # kept as typed, not lost

    panel = text(publisher.get(BASE + "problems/", **HX))
    assert f"'Run': the handler '{name}' is not registered." in panel
    assert "WM114" in panel and "WAYMARK_HANDLER_MODULES" in panel
    assert "No problems" not in panel

    publish = reverse("versions:publish", args=("shell", 1))
    confirm = text(publisher.get(publish))
    assert f"the handler '{name}' is not registered" in confirm
    assert "Publish v1</button>" not in confirm
    refused = publisher.post(publish, {"note": "go"})
    assert refused.status_code == 400
    assert "Publishing was refused" in text(refused)
    assert Version.objects.get(process__code="shell").status == "draft"


def test_a_registered_handler_publishes(publisher, draft):
    assert "No problems" in text(publisher.get(BASE + "problems/", **HX))
    response = publisher.post(reverse("versions:publish", args=("shell", 1)), {"note": "go"})
    assert response.status_code == 302
    assert Version.objects.get(process__code="shell").status == "published"
