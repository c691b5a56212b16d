"""A person manages processes in the browser: create, publish, clone, roll back, delete, import."""

import json

from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import Process, Version
from engine.services import definitions


def designer_login(login, *codenames):
    user = login("dora")
    for codename in codenames or ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def add_tasks(version):
    """What the canvas would do: start -> Review (human) -> Pay (automatic) -> end."""
    for transition in version.transitions.all():
        definitions.delete_transition(transition)
    start, end = version.activities.get(key="start"), version.activities.get(key="end")
    definitions.move_activity(end, 420, 120)
    review = definitions.add_activity(version, "human", name="Review", key="review", x=180, y=120)
    pay = definitions.add_activity(
        version, "automatic", name="Pay", key="pay", handler="demo.pay", x=300, y=120
    )
    definitions.add_transition(version, start, review, key="t_start")
    definitions.add_transition(version, review, pay, key="t_pay", condition="eq:APPROVED")
    definitions.add_transition(version, pay, end, key="t_end")


def open_versions(page, live_server, code):
    page.goto(f"{live_server.url}/processes/{code}/versions/")


def row(page, number):
    return page.locator(f"tr#v{number}")


def test_create_a_process_from_the_library(page, live_server, login):
    designer_login(login)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Processes").click()
    expect(page.get_by_role("heading", name="Processes")).to_be_visible()
    page.get_by_label("Code").fill("expenses")
    page.get_by_label("Title").fill("Expense approval")
    page.get_by_role("button", name="Create process").click()
    expect(page.get_by_text("Created Expense approval with draft v1.")).to_be_visible()
    assert page.url.endswith("/processes/expenses/versions/1/")  # the editor of v1
    assert Process.objects.get(code="expenses").versions.get().status == "draft"
    page.goto(f"{live_server.url}/processes/")
    expect(page.get_by_role("link", name="Expense approval")).to_be_visible()
    expect(page.locator("tr[data-code=expenses]")).to_contain_text("v1 draft")


def test_a_bad_code_is_explained_and_what_was_typed_stays(page, live_server, login):
    designer_login(login)
    page.goto(f"{live_server.url}/processes/")
    page.get_by_label("Code").fill("Not OK")
    page.get_by_label("Title").fill("My title")
    page.get_by_role("button", name="Create process").click()
    expect(page.get_by_text("holds up to 64 lower-case letters")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("My title")
    expect(page.get_by_label("Code")).to_have_value("Not OK")
    assert not Process.objects.exists()


def test_search_the_library(page, live_server, login):
    designer_login(login)
    definitions.create_process("expenses", "Expense approval")
    definitions.create_process("hiring", "Hiring")
    page.goto(f"{live_server.url}/processes/")
    page.get_by_label("Search processes").fill("hir")
    expect(page.get_by_role("link", name="Expense approval")).to_have_count(0)
    expect(page.get_by_role("link", name="Hiring")).to_be_visible()


def test_publish_through_the_confirmation(page, live_server, login):
    designer_login(login)
    process = definitions.create_process("expenses", "Expense approval")
    add_tasks(process.versions.get(number=1))
    open_versions(page, live_server, "expenses")
    row(page, 1).get_by_role("link", name="Publish…").click()
    confirm = page.locator("#confirm-publish")
    expect(confirm).to_contain_text("No errors")
    expect(confirm).to_contain_text("this will be the first")
    confirm.get_by_label("Note").fill("Go live")
    confirm.get_by_role("button", name="Publish v1").click()
    expect(page.get_by_text("v1 is published.")).to_be_visible()
    expect(row(page, 1)).to_contain_text("Published")
    expect(row(page, 1)).to_contain_text("Go live")
    assert Version.objects.get(process=process, number=1).status == "published"


def test_publish_refused_with_its_problems(page, live_server, login):
    designer_login(login)
    process = definitions.create_process("expenses", "Expense approval")
    draft = process.versions.get(number=1)
    add_tasks(draft)
    definitions.update_activity(draft.activities.get(key="pay"), handler="")
    open_versions(page, live_server, "expenses")
    row(page, 1).get_by_role("link", name="Publish…").click()
    confirm = page.locator("#confirm-publish")
    expect(confirm.get_by_role("alert")).to_contain_text("must be fixed before publishing")
    expect(confirm).to_contain_text("WM114")
    expect(confirm.get_by_role("button", name="Publish v1")).to_have_count(0)
    assert Version.objects.get(pk=draft.pk).status == "draft"


def test_clone_rollback_and_delete(page, live_server, login):
    designer_login(login)
    process = definitions.create_process("expenses", "Expense approval")
    v1 = process.versions.get(number=1)
    add_tasks(v1)
    definitions.publish(v1)
    open_versions(page, live_server, "expenses")

    row(page, 1).get_by_role("link", name="Clone…").click()
    page.locator("#confirm-clone").get_by_label("Note").fill("Second reviewer")
    page.get_by_role("button", name="Clone to a new draft").click()
    expect(page.get_by_text("v2 is a new draft cloned from v1.")).to_be_visible()
    assert page.url.endswith("/processes/expenses/versions/2/")  # the editor of the new draft
    v2 = process.versions.get(number=2)
    assert v2.note == "Second reviewer"

    definitions.publish(v2)  # v1 is now retired
    open_versions(page, live_server, "expenses")
    row(page, 1).get_by_role("link", name="Roll back…").click()
    page.locator("#confirm-rollback").get_by_label("Note").fill("v2 broke payments")
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.get_by_text("v1 is published again.")).to_be_visible()
    expect(row(page, 1)).to_contain_text("Published")
    expect(row(page, 2)).to_contain_text("Retired")

    definitions.clone(v2)  # v3, a draft to throw away
    open_versions(page, live_server, "expenses")
    row(page, 3).get_by_role("link", name="Delete…").click()
    page.get_by_role("button", name="Delete draft v3").click()
    expect(page.get_by_text("Draft v3 is deleted.")).to_be_visible()
    expect(row(page, 3)).to_have_count(0)
    assert list(process.versions.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_import_a_file_and_see_a_bad_files_problems(page, live_server, login, tmp_path):
    designer_login(login)
    good = {
        "format": "waymark.process/1",
        "process": {"code": "intake", "title": "Intake"},
        "activities": [{"key": "s", "kind": "start"}, {"key": "e", "kind": "end"}],
        "transitions": [{"key": "t", "source": "s", "target": "e"}],
    }
    bad = json.loads(json.dumps(good))
    bad["activities"][0]["kind"] = "robot"
    bad["transitions"][0]["priority"] = "soon"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "intake.json").write_text(json.dumps(good))

    page.goto(f"{live_server.url}/processes/")
    page.get_by_role("heading", name="Import a definition").click()
    page.get_by_label("Definition file").set_input_files(tmp_path / "bad.json")
    page.get_by_role("button", name="Import").click()
    problems = page.locator(".problems")
    expect(problems).to_contain_text("Nothing was imported")
    expect(problems).to_contain_text("activities[0].kind")
    expect(problems).to_contain_text("transitions[0].priority")
    assert not Process.objects.exists()

    page.get_by_label("Definition file").set_input_files(tmp_path / "intake.json")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Intake: v1 imported as a draft.")).to_be_visible()
    expect(row(page, 1)).to_contain_text("Draft")
