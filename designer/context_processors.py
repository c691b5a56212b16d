"""The main navigation: the areas of Waymark a signed-in person can open."""

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

AREAS = [
    ("processes", "Processes", "versions:process_list", "Design, version and publish processes."),
    ("runs", "Runs", "monitoring:run_list", "Watch running processes and fix what failed."),
    ("inbox", "Inbox", "monitoring:inbox", "Claim and complete the work waiting for you."),
    ("audit", "Audit log", "audit:log", "Who changed what, and when."),
    ("handlers", "Handlers", "designer:handlers", "What automatic tasks may run."),
]


def navigation(request: HttpRequest) -> dict:
    items = []
    for area_id, label, url_name, help_text in AREAS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # an area whose pages are not installed yet
        items.append({"id": area_id, "label": label, "url": url, "help": help_text})
    return {"waymark_nav": items}
