"""A person sets a timer's date field and its offset in the editor's properties panel."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import Activity
from engine.services import definitions as svc


@pytest.fixture
def designer(login):
    user = login("tess")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    return user


def test_person_sets_an_offset_before_the_date_and_a_bad_one_is_refused(
    page, live_server, designer
):
    process = svc.create_process("stay", "Stay")
    svc.add_activity(process.versions.get(), "timer", key="remind", name="Remind", x=200, y=240)
    page.goto(f"{live_server.url}/processes/stay/versions/1/")
    page.get_by_text("Table view").click()
    page.get_by_role("table", name="Activities").get_by_role("link", name="Remind").click()
    expect(page.locator("#properties h2")).to_contain_text("Remind")
    page.get_by_label("Or until the date in (data path)").fill("data.check_in")
    page.get_by_label("Offset from that date").fill("an hour before")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties")).to_contain_text("invalid offset 'an hour before'")
    assert Activity.objects.get(key="remind").timer_offset == ""
    page.get_by_label("Offset from that date").fill("-1h")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties .notice")).to_contain_text("Saved Remind")
    expect(page.get_by_label("Offset from that date")).to_have_value("-1h")
    saved = Activity.objects.get(key="remind")
    assert (saved.timer_date_field, saved.timer_offset) == ("data.check_in", "-1h")
