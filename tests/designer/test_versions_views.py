"""The versions page and publish / clone / rollback / delete: pages, fragments, refusals."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.urls import reverse

from engine.models import AuditEvent, Process, Version
from engine.services import definitions

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def grant(user, *codenames):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))


def login(client, django_user_model, name, *codenames):
    user = django_user_model.objects.create_user(name, password=f"pw-{name}-123")
    grant(user, *codenames)
    client.force_login(user)
    return user


@pytest.fixture
def viewer(client, django_user_model):
    login(client, django_user_model, "vera")
    return client


@pytest.fixture
def designer(client, django_user_model):
    login(client, django_user_model, "dana", "design_process")
    return client


@pytest.fixture
def publisher(client, django_user_model):
    login(client, django_user_model, "paul", "design_process", "publish_process")
    return client


def build(code="expenses"):
    """A process whose draft v1 is start -> review (human) -> pay (automatic) -> end."""
    process = definitions.create_process(code, "Expense approval")
    draft = process.versions.get(number=1)
    for t in draft.transitions.all():
        definitions.delete_transition(t)
    start, end = draft.activities.get(key="start"), draft.activities.get(key="end")
    review = definitions.add_activity(draft, "human", name="Review", key="review", x=180, y=120)
    pay = definitions.add_activity(
        draft, "automatic", name="Pay", key="pay", handler="demo.pay", x=300, y=120
    )
    definitions.add_transition(draft, start, review, key="t_start")
    definitions.add_transition(draft, review, pay, key="t_pay")
    definitions.add_transition(draft, pay, end, key="t_end")
    return process, draft


def url(name, version):
    return reverse(name, args=(version.process.code, version.number))


def test_versions_page_lists_number_status_who_and_note(viewer):
    process, v1 = build()
    definitions.publish(v1, note="First go")
    v2 = definitions.clone(v1, note="Raise the limit")
    response = viewer.get(reverse("versions:list", args=("expenses",)))
    body = response.content.decode()
    assert response.status_code == 200
    assert "First go" in body and "Raise the limit" in body
    assert "cloned from v1" in body
    assert 'data-status="published"' in body and 'data-status="draft"' in body
    # A viewer gets no action buttons.
    assert url("versions:publish", v2) not in body
    assert reverse("versions:process_detail", args=("expenses",)) == "/processes/expenses/"
    assert viewer.get("/processes/expenses/").status_code == 200


def test_versions_page_shows_actions_by_permission(publisher):
    process, v1 = build()
    body = publisher.get(reverse("versions:list", args=("expenses",))).content.decode()
    assert url("versions:publish", v1) in body
    assert url("versions:clone", v1) in body
    assert url("versions:delete", v1) in body


def test_versions_table_fragment_for_htmx(viewer):
    build()
    response = viewer.get(
        reverse("versions:list", args=("expenses",)),
        headers={**HTMX, "HX-Target": "version-table"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="version-table"' in body


def test_new_process_page_for_designers_only(designer, client, django_user_model):
    page = designer.get(reverse("versions:process_create"))
    assert page.status_code == 200 and "Create process" in page.content.decode()
    login(client, django_user_model, "otto")
    assert client.get(reverse("versions:process_create")).status_code == 403


def test_unknown_process_or_version_is_404(publisher):
    build()
    assert publisher.get(reverse("versions:list", args=("nope",))).status_code == 404
    assert publisher.get(reverse("versions:publish", args=("expenses", 9))).status_code == 404
    assert publisher.post(reverse("versions:delete", args=("expenses", 9))).status_code == 404


# Publish -------------------------------------------------------------------


def test_publish_confirmation_shows_validation_and_diff_against_published(publisher):
    process, v1 = build()
    definitions.publish(v1)
    v2 = definitions.clone(v1)
    definitions.update_activity(v2.activities.get(key="review"), name="Check receipt")
    response = publisher.get(url("versions:publish", v2))
    body = response.content.decode()
    assert response.status_code == 200
    assert "No errors" in body
    assert "Against the published v1" in body
    assert "Check receipt" in body and "Review" in body
    assert 'id="change-activity-review"' in body
    fragment = publisher.get(url("versions:publish", v2), headers=HTMX).content.decode()
    assert "<html" not in fragment and "Publish v2" in fragment


def test_publish_first_version(publisher):
    process, v1 = build()
    body = publisher.get(url("versions:publish", v1)).content.decode()
    assert "this will be the first" in body
    response = publisher.post(url("versions:publish", v1), {"note": "Go live"})
    assert response.status_code == 302
    v1.refresh_from_db()
    assert v1.status == "published" and v1.note == "Go live"
    assert AuditEvent.objects.filter(action="version.published", version=v1).exists()


def test_publish_with_errors_is_refused_with_the_problems_shown(publisher):
    process, v1 = build()
    definitions.update_activity(v1.activities.get(key="pay"), handler="")
    confirm = publisher.get(url("versions:publish", v1)).content.decode()
    assert "WM114" in confirm
    assert "Publish v1</button>" not in confirm
    response = publisher.post(url("versions:publish", v1), {"note": "keep me"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Publishing was refused" in body and "WM114" in body
    v1.refresh_from_db()
    assert v1.status == "draft"


def test_publish_needs_the_publish_permission(designer):
    process, v1 = build()
    assert designer.get(url("versions:publish", v1)).status_code == 403
    assert designer.post(url("versions:publish", v1)).status_code == 403
    v1.refresh_from_db()
    assert v1.status == "draft"


def test_publishing_a_published_version_is_refused(publisher):
    process, v1 = build()
    definitions.publish(v1)
    response = publisher.post(url("versions:publish", v1))
    assert response.status_code == 409
    assert "only a draft can be published" in response.content.decode()


def test_publish_retires_the_previous_version(publisher):
    process, v1 = build()
    definitions.publish(v1)
    v2 = definitions.clone(v1)
    publisher.post(url("versions:publish", v2))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("retired", "published")


# Clone -----------------------------------------------------------------------


def test_clone_makes_a_new_draft_with_the_note_and_opens_it(designer):
    process, v1 = build()
    confirm = designer.get(url("versions:clone", v1), headers=HTMX)
    assert confirm.status_code == 200 and "<html" not in confirm.content.decode()
    response = designer.post(url("versions:clone", v1), {"note": "Try a second reviewer"})
    v2 = process.versions.get(number=2)
    assert response.status_code == 302
    assert "/processes/expenses/versions/2/" in response["Location"] or response[
        "Location"
    ].endswith("/processes/expenses/versions/")
    assert v2.status == "draft" and v2.note == "Try a second reviewer"
    assert v2.cloned_from == v1
    assert set(v2.activities.values_list("key", flat=True)) == {"start", "review", "pay", "end"}


def test_clone_without_permission_changes_nothing(viewer):
    process, v1 = build()
    assert viewer.post(url("versions:clone", v1)).status_code == 403
    assert process.versions.count() == 1


def test_clone_with_a_too_long_note_keeps_it_and_explains(designer):
    process, v1 = build()
    note = "x" * 10_001
    response = designer.post(url("versions:clone", v1), {"note": note})
    assert response.status_code == 400
    assert "at most 10000 characters" in response.content.decode()
    assert note in response.content.decode()
    assert process.versions.count() == 1


# Rollback --------------------------------------------------------------------


def test_rollback_publishes_a_retired_version_again(publisher):
    process, v1 = build()
    definitions.publish(v1)
    v2 = definitions.clone(v1)
    definitions.publish(v2)
    page = publisher.get(url("versions:rollback", v1)).content.decode()
    assert "v2 is retired" in page
    fragment = publisher.get(url("versions:rollback", v1), headers=HTMX).content.decode()
    assert "Roll back to v1</button>" in fragment and "<html" not in fragment
    response = publisher.post(url("versions:rollback", v1), {"note": "v2 broke payments"})
    assert response.status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("published", "retired")
    assert v1.note == "v2 broke payments"


def test_rollback_to_a_draft_is_refused(publisher):
    process, v1 = build()
    response = publisher.post(url("versions:rollback", v1))
    assert response.status_code == 409
    assert "Only a retired version" in response.content.decode()
    fragment = publisher.get(url("versions:rollback", v1), headers=HTMX)
    assert fragment.status_code == 200  # HTMX swaps only 2xx: the refusal must show
    assert "Only a retired version" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    v1.refresh_from_db()
    assert v1.status == "draft"


def test_rollback_needs_the_publish_permission(designer):
    process, v1 = build()
    definitions.publish(v1)
    v2 = definitions.clone(v1)
    definitions.publish(v2)
    assert designer.post(url("versions:rollback", v1)).status_code == 403
    v1.refresh_from_db()
    assert v1.status == "retired"


# Delete ----------------------------------------------------------------------


def test_delete_a_draft_after_confirmation(designer):
    process, v1 = build()
    v2 = definitions.clone(v1)
    confirm = designer.get(url("versions:delete", v2), headers=HTMX).content.decode()
    assert "Delete draft v2" in confirm and "<html" not in confirm
    response = designer.post(url("versions:delete", v2))
    assert response.status_code == 302
    assert list(process.versions.values_list("number", flat=True)) == [1]


def test_delete_the_only_version_warns(designer):
    process, v1 = build()
    assert "only version" in designer.get(url("versions:delete", v1)).content.decode()


def test_deleting_a_published_version_is_refused(publisher):
    process, v1 = build()
    definitions.publish(v1)
    response = publisher.post(url("versions:delete", v1))
    assert response.status_code == 409
    assert Version.objects.filter(pk=v1.pk).exists()


def test_delete_without_permission_changes_nothing(viewer):
    process, v1 = build()
    assert viewer.post(url("versions:delete", v1)).status_code == 403
    assert Version.objects.filter(pk=v1.pk).exists()


def test_actions_are_post_only_with_csrf(django_user_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    login(client, django_user_model, "carl", "design_process", "publish_process")
    process, v1 = build()
    response = client.post(url("versions:publish", v1))
    assert response.status_code == 403
    v1.refresh_from_db()
    assert v1.status == "draft"


# Exports ---------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "marker"), [("json", '"waymark.process/1"'), ("yaml", "format:")])
def test_export_definition_file(viewer, fmt, marker):
    process, v1 = build()
    response = viewer.get(reverse("versions:export", args=("expenses", 1, fmt)))
    body = response.content.decode()
    assert response.status_code == 200
    assert marker in body and "review" in body
    assert 'filename="expenses-v1.' + fmt in response["Content-Disposition"]


def test_export_round_trips_through_import(publisher):
    process, v1 = build()
    text = publisher.get(reverse("versions:export", args=("expenses", 1, "yaml"))).content
    definitions.import_text(text, filename="x.yaml")
    assert process.versions.count() == 2
    diff = definitions.diff_versions(v1, process.versions.get(number=2))
    assert diff.is_empty


def test_unknown_export_format_is_404(viewer):
    build()
    assert viewer.get(reverse("versions:export", args=("expenses", 1, "exe"))).status_code == 404


# Tenancy -----------------------------------------------------------------------


def tenant_of(who):
    user = getattr(who, "user", who)
    name = getattr(user, "username", "")
    return {"tenant_id": "acme" if name.startswith("a") else "globex"}


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_another_tenants_process_is_404_and_left_alone(client, django_user_model):
    login(client, django_user_model, "gina", "design_process", "publish_process")  # globex
    process, v1 = build()
    Process.objects.filter(pk=process.pk).update(tenant_id="acme")
    assert client.get(reverse("versions:list", args=("expenses",))).status_code == 404
    assert client.post(url("versions:publish", v1)).status_code == 404
    assert client.post(url("versions:delete", v1)).status_code == 404
    assert client.get(reverse("versions:export", args=("expenses", 1, "json"))).status_code == 404
    assert "Expense approval" not in client.get(reverse("versions:process_list")).content.decode()
    v1.refresh_from_db()
    assert v1.status == "draft"


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_created_processes_belong_to_the_creators_tenant(client, django_user_model):
    login(client, django_user_model, "anna", "design_process")  # acme
    client.post(reverse("versions:process_create"), {"code": "acme-flow", "title": "Acme"})
    assert Process.objects.get(code="acme-flow").tenant_id == "acme"


def test_export_graph_as_svg_and_dot(viewer):
    build()
    svg = viewer.get(reverse("versions:export", args=("expenses", 1, "svg")))
    assert svg.status_code == 200
    assert svg["Content-Type"].startswith("image/svg+xml")
    text = svg.content.decode()
    assert text.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in text
    assert 'data-key="review"' in text
    dot = viewer.get(reverse("versions:export", args=("expenses", 1, "dot"))).content.decode()
    assert "digraph" in dot


@override_settings(WAYMARK_TENANT_RESOLVER=f"{__name__}.tenant_of")
def test_import_cannot_add_a_version_to_another_tenants_process(client, django_user_model):
    process, v1 = build()
    Process.objects.filter(pk=process.pk).update(tenant_id="acme")
    login(client, django_user_model, "gina", "design_process")  # globex
    text = json.dumps(definitions.export_version(v1))
    response = client.post(reverse("versions:process_import"), {"text": text})
    assert response.status_code == 400
    assert "This code is not available: choose another." in response.content.decode()
    assert process.versions.count() == 1


def test_other_methods_are_refused(publisher):
    process, v1 = build()
    assert publisher.put(url("versions:publish", v1)).status_code == 405
    assert publisher.delete(url("versions:delete", v1)).status_code == 405
    v1.refresh_from_db()
    assert v1.status == "draft"


def test_versions_page_offers_a_run_only_once_something_is_published(viewer):
    process, v1 = build()
    start_url = reverse("monitoring:run_start", args=("expenses",))
    page = viewer.get(reverse("versions:list", args=("expenses",))).content.decode()
    assert start_url not in page
    definitions.publish(v1)
    page = viewer.get(reverse("versions:list", args=("expenses",))).content.decode()
    assert start_url in page


def test_only_people_who_may_monitor_see_the_monitor_link(client, django_user_model):
    build()
    monitor_url = reverse("monitoring:process_monitor", args=("expenses",))
    login(client, django_user_model, "vera")
    assert (
        monitor_url not in client.get(reverse("versions:list", args=("expenses",))).content.decode()
    )
    login(client, django_user_model, "dana", "design_process")
    assert monitor_url in client.get(reverse("versions:list", args=("expenses",))).content.decode()
