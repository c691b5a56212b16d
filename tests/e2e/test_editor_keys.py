"""Two drafts that look alike: each editor's arrows open their own properties."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine import drawing
from engine.services import definitions as svc


@pytest.fixture
def designer(login):
    user = login("dana")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    return user


def test_clicking_the_arrow_of_a_second_process_of_the_same_shape(page, live_server, designer):
    drawing.clear_caches()
    svc.create_process("first", "First process")
    second = svc.create_process("second", "Second process").versions.get()
    key = second.transitions.get().key

    # The first editor draws Start → End; the second draws the same shape.
    page.goto(f"{live_server.url}/processes/first/versions/1/")
    expect(page.locator("#canvas-stage g.transition")).to_have_count(1)
    page.goto(f"{live_server.url}/processes/second/versions/1/")
    arrow = page.locator("#canvas-stage g.transition")
    expect(arrow).to_have_attribute("data-key", key)

    arrow.click()
    expect(page.locator("#properties h2")).to_contain_text("Start → End")
    expect(page.get_by_label("Condition")).to_be_visible()
    expect(arrow).to_have_class(re.compile(r"\bselected\b"))
