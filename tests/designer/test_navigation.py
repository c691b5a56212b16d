"""The main navigation's links (designer/context_processors.py) are reversed once per
URL configuration and mount prefix, and follow either when it changes."""

from __future__ import annotations

from django.test import RequestFactory
from django.urls import clear_url_caches, reverse, set_script_prefix

from designer.context_processors import navigation


def links() -> dict[str, str]:
    items = navigation(RequestFactory().get("/"))["waymark_nav"]
    return {item["id"]: item["url"] for item in items}


def test_links_are_the_reversed_urls():
    assert links()["inbox"] == reverse("monitoring:inbox")
    assert links()["runs"] == reverse("monitoring:run_list")


def test_links_follow_the_prefix_the_site_is_mounted_under():
    set_script_prefix("/waymark/")
    try:
        assert links()["inbox"] == "/waymark/inbox/"
    finally:
        set_script_prefix("/")
    assert links()["inbox"] == "/inbox/"


def test_links_follow_a_changed_url_configuration(settings):
    settings.ROOT_URLCONF = "tests.designer.urls_without_audit"
    try:
        assert "audit" not in links()
        assert links()["inbox"] == "/inbox/"
    finally:
        clear_url_caches()
