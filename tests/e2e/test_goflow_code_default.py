"""A person coming from GoFlow2: a process without a code, and a drawing imported by mistake."""

from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import Process


def test_leave_the_code_empty_and_import_a_drawing(page, live_server, login, tmp_path):
    user = login("gita")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    page.goto(f"{live_server.url}/processes/")
    expect(page.get_by_label("Code")).not_to_have_attribute("required", "")
    page.get_by_label("Title").fill("Purchase Order")
    page.get_by_role("button", name="Create process").click()
    expect(page.get_by_text("Created Purchase Order with draft v1.")).to_be_visible()
    assert page.url.endswith("/processes/purchase-order/versions/1/")
    assert Process.objects.get().code == "purchase-order"

    (tmp_path / "purchase.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    page.goto(f"{live_server.url}/processes/")
    page.get_by_role("heading", name="Import a definition").click()
    page.get_by_label("Definition file").set_input_files(tmp_path / "purchase.svg")
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".problems")).to_contain_text("DOT and SVG are export-only")
    assert Process.objects.count() == 1
