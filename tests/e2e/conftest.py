"""Browser tests: Playwright driving Debian's Chromium (no browser downloads)."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's
# async-safety check would otherwise refuse the database work of fixtures.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture
def login(page, live_server, django_user_model):
    """Log a new user in through the login form; returns a function taking a username."""

    def do_login(username="walter", password="pw-walter-123", groups=(), **extra):
        from django.contrib.auth.models import Group

        user = django_user_model.objects.create_user(username, password=password, **extra)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return user

    return do_login
