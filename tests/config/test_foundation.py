import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in to Waymark" in response.content


def test_signed_in_user_sees_home_and_navigation(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Waymark" in response.content
    assert b"Log out" in response.content


def test_logout_is_a_post(client, user):
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_system_checks_are_clean():
    call_command("check", fail_level="WARNING")


def test_unknown_scheduler_backend_is_reported(settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "nowhere.Backend"
    with pytest.raises(SystemCheckError, match="waymark.E003"):
        call_command("check")


def test_unknown_condition_strategy_is_reported(settings):
    settings.WAYMARK_CONDITION_STRATEGY = "lenient"
    with pytest.raises(SystemCheckError, match="waymark.E004"):
        call_command("check")


def test_missing_broker_is_reported(settings):
    settings.Q_CLUSTER = {"name": "x"}
    with pytest.raises(SystemCheckError, match="waymark.E002"):
        call_command("check")


def test_missing_dot_is_reported(monkeypatch):
    from engine import checks

    monkeypatch.setattr(checks.shutil, "which", lambda name: None)
    messages = checks.check_graphviz(None)
    assert [m.id for m in messages] == ["waymark.W001"]
    assert "apt-get install graphviz" in messages[0].hint


def test_demo_command_is_idempotent(django_user_model):
    call_command("waymark_demo")
    call_command("waymark_demo")
    demo = django_user_model.objects.get(username="demo")
    assert demo.check_password("demo")
    assert demo.groups.filter(name="approvers").exists()


@pytest.mark.django_db
def test_home_lists_processes_and_my_waiting_work(client, user):
    from engine.services import definitions

    definitions.create_process("onboarding", "Onboarding <new>")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert 'href="/processes/onboarding/"' in page
    assert "Onboarding &lt;new&gt;" in page


@pytest.mark.django_db
def test_definition_audit_events_carry_the_tenant_of_their_process():
    from engine.models import AuditEvent
    from engine.services import definitions

    definitions.create_process("acme-flow", "Acme", tenant_id="acme")
    assert AuditEvent.objects.get(action="process.created").tenant_id == "acme"


def test_home_shows_only_the_processes_of_my_tenant(client, user, settings):
    from engine.services import definitions

    definitions.create_process("ours", "Ours", tenant_id="acme")
    definitions.create_process("theirs", "Theirs", tenant_id="globex")
    settings.WAYMARK_TENANT_RESOLVER = lambda who: {"tenant_id": "acme"}
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "Ours" in page
    assert "Theirs" not in page


def test_static_files_are_served_without_debug(client, settings):
    settings.DEBUG = False
    response = client.get("/static/css/waymark.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])
    response.close()  # a served file stays open until its response is closed
    response = client.get("/static/django_htmx/htmx-2.min.js")
    assert response.status_code == 200
    response.close()
