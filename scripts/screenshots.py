"""Retake the screenshots of docs/designer.md: ``.venv/bin/python scripts/screenshots.py``.

A fresh SQLite database in a temporary folder (never var/): migrate, the demo
user and process (``waymark_demo``), a few runs of it (some approved, some
waiting), then a web server on a free port; Playwright drives Chromium
(/usr/bin/chromium, or $CHROMIUM) logged in as demo/demo and saves
1280x800 PNGs into docs/img/. With Pillow installed (requirements-dev.txt)
each PNG is reduced to a 256-colour palette, which keeps them small.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VIEWPORT = {"width": 1280, "height": 800}

# Runs made before the pictures: started, then the approver's decision (None: still waiting).
RUNS = [
    ("exp-101", {"requester": "Ann", "amount": 42}, "APPROVED"),
    ("exp-102", {"requester": "Bo", "amount": 120}, "APPROVED"),
    ("exp-103", {"requester": "Cy", "amount": 18}, "REJECTED"),
    ("exp-104", {"requester": "Di", "amount": 75}, None),
    ("exp-105", {"requester": "Ed", "amount": 9}, None),
]
SEED = """
from django.contrib.auth import get_user_model
from engine.models import WorkItem
from engine.services import runtime, workitems

demo = get_user_model().objects.get(username="demo")
for key, data, outcome in {runs!r}:
    run = runtime.start_run("expense-approval", data, business_key=key)
    if outcome:
        item = WorkItem.objects.get(instance=run, activity_key="review")
        workitems.claim(item, user=demo)
        workitems.complete(item, user=demo, outcome=outcome, data={{"comment": "ok"}})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("The web server stopped: see its output above.")
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - our own local server
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The web server did not answer at {url}.")


def shrink(path: Path) -> None:
    """A 256-colour palette PNG (screenshots of flat UI lose nothing visible)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    taken: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--disable-gpu"])
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("User name").fill("demo")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/")

        def save(name: str) -> None:
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            shrink(path)
            taken.append(path)

        # The editor: a draft cloned from the published version, one activity selected.
        page.goto(f"{base}/processes/expense-approval/versions/1/")
        page.get_by_role("button", name="Clone to a new draft").click()
        page.wait_for_url("**/versions/2/")
        page.locator("g.activity[data-key=review]").click()
        page.locator("#properties-title").filter(has_text="Approve the expense").wait_for()
        page.wait_for_timeout(300)
        save("editor")
        # The form designer of that task, and the preview of its form (docs: Forms).
        page.locator("#properties .form-designer").scroll_into_view_if_needed()
        save("form-designer")
        page.locator("#properties").get_by_role("button", name="Preview").click()
        page.locator("#form-preview-dialog .form-preview").wait_for()
        save("form-preview")
        page.get_by_role("button", name="Close preview").click()
        # The start form made from the input schema, refused next to the fields.
        page.goto(f"{base}/runs/start/expense-approval/")
        page.get_by_role("button", name="Start the run").click()
        page.locator(".field-error").first.wait_for()
        save("start-form")
        # A run that went all the way, and the task page of one still waiting.
        page.goto(f"{base}/runs/")
        save("runs")
        page.goto(f"{base}/runs/?business_key=exp-101")
        page.locator("td a", has_text="Run ").first.click()
        page.locator(".graph svg").wait_for()
        save("run")
        page.goto(f"{base}/inbox/")
        save("inbox")
        page.get_by_role("link", name="Approve the expense").first.click()
        page.locator(".graph svg").wait_for()
        save("task")
        page.goto(f"{base}/processes/expense-approval/monitor/?measure=visits")
        page.locator(".heatmap svg").wait_for()
        save("heatmap")
        # The handler catalogue, and a dry run of the draft (docs: Handlers, Dry runs).
        page.goto(f"{base}/handlers/")
        save("handlers")
        page.goto(f"{base}/processes/expense-approval/versions/2/")
        page.get_by_text("Dry run", exact=True).click()
        sample = page.locator("#dry-run-form")
        sample.get_by_label("Requester").fill("Ann")
        sample.get_by_label("Amount (EUR)").fill("120")
        sample.get_by_label("Call every handler").check()
        page.get_by_role("button", name="Run from the start").click()
        page.locator("#dry-run-result [data-waiting=review]").wait_for()
        page.locator("#dry-run-result").get_by_role("button", name="APPROVED").click()
        page.locator("#dry-run-result .state-completed").wait_for()
        panel = out / "dry-run.png"
        page.locator("#dry-run").screenshot(path=str(panel))
        shrink(panel)
        taken.append(panel)
        page.evaluate("window.scrollTo(0, 0)")  # the path drawn on the canvas
        page.wait_for_timeout(300)
        save("dry-run-path")
        browser.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="waymark-screens-") as var:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "WAYMARK_VAR_DIR": var,
            # Runs move on in the request that starts them: no worker to start.
            "WAYMARK_SCHEDULER_BACKEND": "immediate",
        }
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "waymark_demo")
        manage(env, "shell", "-c", SEED.format(runs=RUNS))
        port = free_port()
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/accounts/login/", server)
            for path in shoot(base, args.out):
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                print(f"{shown}: {path.stat().st_size // 1024} KiB")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
