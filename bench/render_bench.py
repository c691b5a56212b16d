"""Designer canvas: server render time as the graph grows, and the move-a-node round trip.

    .venv/bin/python bench/render_bench.py

Builds processes of 10, 50, 100 and 200 activities (pinned positions on a
grid, a chain plus skip edges with conditions) in a throwaway test database
and measures, on this machine:

- render cold: ``engine.drawing.version_svg(..., interactive=True)`` with both
  caches cleared (Graphviz runs: ``neato -n2`` for pinned positions), and the
  same with ``layout="dot"``;
- render cached: the same call again (content-hash cache hit);
- editor page: a full GET of the editor through Django's test client (the
  page also validates the version and renders the panels);
- canvas fragment: the HTMX GET of the canvas alone (what it shows and nothing more);
- move round trip on 50 activities: an HTMX POST that moves a node (a new
  position, so the render is cold every time) including undo history,
  validation and the returned fragment, through Django's test client;
- the direct-manipulation round trips on 50 activities, the same way: five
  selected activities moved together, a rename in place, a kind dropped onto
  an arrow (then undone), and a paste of five copied activities (then undone).
  The editor page and fragments measured above carry the new affordances
  (context pad, palette drop targets, publish button).

Targets (docs/benchmarks.md): render of 200 activities <= 150 ms; move round
trip on 50 activities <= 100 ms median. Ratios below 1.0 are within target.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Permission, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from engine import drawing  # noqa: E402
from engine.services import definitions as svc  # noqa: E402

SIZES = (10, 50, 100, 200)
RENDER_TARGET_MS = 150.0
MOVE_TARGET_MS = 100.0
REPEATS = 5
MOVES = 30


def build(n: int):
    """A pinned process of ``n`` activities: start, n-2 tasks, end."""
    process = svc.create_process(f"bench{n}", f"Bench {n}")
    version = process.versions.get()
    version.transitions.all().delete()
    start = version.activities.get(key="start")
    end = version.activities.get(key="end")
    chain = [start]
    for i in range(n - 2):
        kind = ("human", "automatic", "exclusive", "timer")[i % 4]
        extra = {"handler": "demo.pay"} if kind == "automatic" else {}
        if kind == "timer":
            extra = {"timer_duration": "1d"}
        chain.append(
            svc.add_activity(
                version,
                kind,
                key=f"a{i}",
                name=f"Step {i} of the bench",
                x=200 + 180 * (i % 10),
                y=120 + 110 * (i // 10),
                **extra,
            )
        )
    svc.move_activity(end, 200 + 180 * 10, 120 + 110 * ((n - 2) // 10 + 1))
    chain.append(end)
    for i, (a, b) in enumerate(zip(chain, chain[1:], strict=False)):
        condition = "APPROVED" if a.kind == "exclusive" else ""
        svc.add_transition(version, a, b, key=f"t{i}", condition=condition)
    for i in range(1, len(chain) - 6, 7):
        if chain[i].kind == "exclusive":
            svc.add_transition(version, chain[i], chain[i + 5], key=f"s{i}", is_default=True)
    return version


def ms(seconds: float) -> float:
    return seconds * 1000.0


def time_call(fn, *, cold: bool, repeats: int = REPEATS) -> float:
    samples = []
    fn()  # warm imports and connections
    for _ in range(repeats):
        if cold:
            drawing.clear_caches()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return ms(statistics.median(samples))


def main() -> None:
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    user = User.objects.create_user("bench", password="bench-pw-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client = Client()
    client.force_login(user)

    print(
        f"{'activities':>10} {'cold neato -n2':>15} {'cold dot':>10} {'cached':>8} "
        f"{'editor GET':>11} {'canvas GET':>11}  ratio to 150 ms (cold)"
    )
    results = {}
    for n in SIZES:
        version = build(n)
        cold = time_call(lambda v=version: drawing.version_svg(v, interactive=True), cold=True)
        cold_dot = time_call(
            lambda v=version: drawing.version_svg(v, layout="dot", interactive=True), cold=True
        )
        cached = time_call(
            lambda v=version: drawing.version_svg(v, interactive=True), cold=False, repeats=20
        )
        url = f"/processes/bench{n}/versions/1/"
        page = time_call(lambda u=url: client.get(u), cold=False)
        canvas = time_call(
            lambda u=url + "canvas/": client.get(u, HTTP_HX_REQUEST="true"), cold=False
        )
        results[n] = cold
        print(
            f"{n:>10} {cold:>12.1f} ms {cold_dot:>7.1f} ms {cached:>5.2f} ms"
            f" {page:>8.1f} ms {canvas:>8.1f} ms"
            f"  {cold / RENDER_TARGET_MS:.2f}"
        )

    url = "/processes/bench50/versions/1/activities/a5/move/"
    samples = []
    for i in range(MOVES):
        step = 10 if i % 2 == 0 else -5  # always a new position: the render is never cached
        started = time.perf_counter()
        response = client.post(url, {"dx": step, "dy": 0}, HTTP_HX_REQUEST="true")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    median = ms(statistics.median(samples))
    p90 = ms(sorted(samples)[int(len(samples) * 0.9)])
    print(
        f"\nmove round trip, 50 activities: median {median:.1f} ms, p90 {p90:.1f} ms "
        f"(target <= {MOVE_TARGET_MS:.0f} ms median; ratio {median / MOVE_TARGET_MS:.2f})"
    )
    direct_round_trips(client)
    print(
        f"render 200 activities cold: {results[200]:.1f} ms "
        f"(target <= {RENDER_TARGET_MS:.0f} ms; ratio {results[200] / RENDER_TARGET_MS:.2f})"
    )


def round_trip(client, url: str, data_for, *, after=None) -> tuple[float, float]:
    """Median and p90 of ``MOVES`` HTMX POSTs to ``url`` (``after`` runs untimed after each)."""
    samples = []
    for i in range(MOVES):
        started = time.perf_counter()
        response = client.post(url, data_for(i), HTTP_HX_REQUEST="true")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        if after is not None:
            after()
    return ms(statistics.median(samples)), ms(sorted(samples)[int(len(samples) * 0.9)])


def direct_round_trips(client) -> None:
    base = "/processes/bench50/versions/1/"
    undo = lambda: client.post(base + "undo/", HTTP_HX_REQUEST="true")  # noqa: E731
    keys = "a10,a11,a12,a13,a14"
    client.post(base + "selection/copy/", {"keys": keys}, HTTP_HX_REQUEST="true")
    cases = (
        (
            "move 5 together",
            "selection/move/",
            lambda i: {"keys": keys, "dx": 10 - 15 * (i % 2), "dy": 0},
            None,
        ),
        ("rename in place", "activities/a20/rename/", lambda i: {"name": f"Renamed {i}"}, None),
        (
            "drop onto an arrow",
            "activities/drop/",
            lambda i: {"kind": "human", "x": 300 + i, "y": 400, "into": "t5"},
            undo,
        ),
        ("paste 5", "paste/", lambda i: {}, undo),
    )
    print("\ndirect manipulation, 50 activities (HTMX POST, fragment back):")
    for name, path, data_for, after in cases:
        median, p90 = round_trip(client, base + path, data_for, after=after)
        print(
            f"  {name:<20} median {median:>6.1f} ms, p90 {p90:>6.1f} ms"
            f" (ratio to {MOVE_TARGET_MS:.0f} ms: {median / MOVE_TARGET_MS:.2f})"
        )


if __name__ == "__main__":
    main()
