"""The main navigation: the areas of Waymark a signed-in person can open."""

from functools import lru_cache

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse

AREAS = [
    ("processes", "Processes", "versions:process_list", "Design, version and publish processes."),
    ("runs", "Runs", "monitoring:run_list", "Watch running processes and fix what failed."),
    ("inbox", "Inbox", "monitoring:inbox", "Claim and complete the work waiting for you."),
    ("audit", "Audit log", "audit:log", "Who changed what, and when."),
    ("handlers", "Handlers", "designer:handlers", "What automatic tasks may run."),
]


def navigation(request: HttpRequest) -> dict:
    # The links depend only on the URL patterns and the prefix the site is
    # mounted under: reversed once for each, not five times on every page. The
    # resolver is Django's own cached one, replaced when the URL caches are
    # cleared (a changed ROOT_URLCONF), so a new one reverses again.
    return {"waymark_nav": _items(get_script_prefix(), get_resolver(get_urlconf()))}


@lru_cache(maxsize=16)
def _items(prefix: str, resolver) -> tuple[dict, ...]:
    items = []
    for area_id, label, url_name, help_text in AREAS:
        try:
            url = reverse(url_name, urlconf=resolver.urlconf_name)
        except NoReverseMatch:
            continue  # an area whose pages are not installed yet
        items.append({"id": area_id, "label": label, "url": url, "help": help_text})
    return tuple(items)
