"""waymark_client installed on its own (its pyproject) in a virtualenv without Django,
driving a live Waymark server over HTTP: invoke with wait, idempotent starts, tasks,
signals, cancel and a failed run's error.

The virtualenv gets the client and requests from a wheelhouse (var/wheelhouse, or
WAYMARK_WHEELHOUSE), filled from PyPI once when it lacks them; with neither the
wheels nor the network the test is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token

from engine.models import ProcessInstance, WorkItem
from tests.engine.conftest import deploy

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("requests", "setuptools", "urllib3", "idna", "certifi", "charset_normalizer")

SCRIPT = r"""
import json, sys
from waymark_client import TaskNotFoundError, Workflow

base_url, token = sys.argv[1:3]
out = {"django_loaded": any(m.split(".")[0] == "django" for m in sys.modules)}
try:
    import django  # noqa: F401
    out["django_importable"] = True
except ImportError:
    out["django_importable"] = False


def flow(code):
    return type(code.title(), (Workflow,), {"process_code": code})(base_url=base_url, token=token)


quick = flow("quick").invoke(wait=10, n=1)
out["quick"] = [quick.state, quick.result]

review = flow("review")
first = review.start({"customer": "ana"}, idempotency_key="order-1")
again = review.start({"customer": "ana"}, idempotency_key="order-1")
out["idempotent"] = [first.id, again.id]
tasks = review.list_tasks(execution_id=first.id)
out["tasks"] = [[t.activity_key, t.state, t.run_id] for t in tasks]
out["completed"] = review.complete_task(tasks[0].id, data={"note": "ok"}).state
status = review.get_execution_status(first.id, wait=10)
out["review"] = [status.state, status.result]

shop = flow("shop")
waiting = shop.invoke(order=7)
out["waits_at"] = list(shop.get_execution_status(waiting.id).activities)
signal = shop.signal("paid", {"amount": 3}, correlation=7)
out["woken"] = [list(signal.woken), waiting.id]
out["shop"] = shop.get_execution_status(waiting.id, wait=10).state

doomed = review.invoke(customer="bo")
out["cancelled"] = review.cancel(doomed.id, reason="changed my mind").state

failed = flow("charge").invoke(wait=10)
out["failed"] = [failed.state, failed.error, failed.end_time is not None]
status = flow("charge").get_execution_status(failed.id)
out["failed_status"] = [status.state, status.error, status.end_time is not None]

try:
    review.complete_task(987654)
except TaskNotFoundError as exc:
    out["missing_task"] = exc.status
print(json.dumps(out))
"""


def _wheelhouse() -> Path:
    house = Path(os.environ.get("WAYMARK_WHEELHOUSE") or ROOT / "var" / "wheelhouse")
    house.mkdir(parents=True, exist_ok=True)
    names = " ".join(p.name.lower() for p in house.glob("*.whl"))
    if all(name in names for name in NEEDED):
        return house
    got = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(house), "requests",
         "setuptools>=70.1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if got.returncode != 0:
        pytest.skip(f"no wheels for requests in {house} and PyPI unreachable: {got.stderr[-300:]}")
    return house


@pytest.fixture(scope="module")
def client_python(tmp_path_factory) -> str:
    """A fresh virtualenv's python with waymark_client pip-installed from its folder."""
    house = _wheelhouse()
    where = tmp_path_factory.mktemp("standalone")
    # Built from a copy: an in-tree build would leave build/ and egg-info in the repository.
    source = where / "waymark_client"
    shutil.copytree(ROOT / "waymark_client", source, ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = where / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = [python, "-m", "pip", "install", "-q", "--no-index", "--find-links", house, source]
    done = subprocess.run(
        [str(part) for part in install], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return str(python)


@pytest.fixture
def server(live_server, processes, django_user_model):
    deploy(
        [
            {
                "key": "paid",
                "kind": "signal",
                "signal_name": "paid",
                "correlation": "data.order",
            }
        ],
        ["start > paid", "paid > end"],
        code="shop",
    )
    deploy(
        [
            {
                "key": "card",
                "kind": "automatic",
                "handler": "test.fail",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start > card", "card > end"],
        code="charge",
    )
    robot = django_user_model.objects.create_user("robot")
    robot.groups.add(Group.objects.create(name="approvers"))
    robot.user_permissions.add(Permission.objects.get(codename="manage_runs"))
    return live_server.url, Token.objects.create(user=robot).key


def test_the_installed_client_drives_waymark_without_django(client_python, server):
    base_url, token = server
    done = subprocess.run(
        [client_python, "-c", SCRIPT, base_url, token],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
        cwd="/",  # not the repository: the installed package, not the folder
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["django_loaded"], out["django_importable"]) == (False, False)
    assert out["quick"] == ["SUCCEEDED", {"n": 1}]
    first, again = out["idempotent"]
    assert first == again
    assert ProcessInstance.objects.filter(idempotency_key="order-1").count() == 1
    assert out["tasks"] == [["review", "offered", first]]
    assert out["completed"] == "completed"
    assert (
        WorkItem.objects.get(instance_id=first, activity_key="review").completed_by.username
        == "robot"
    )
    assert out["review"] == ["SUCCEEDED", {"customer": "ana", "note": "ok"}]
    assert out["waits_at"] == ["paid"]
    woken, waiting = out["woken"]
    assert woken == [waiting]
    assert out["shop"] == "SUCCEEDED"
    assert out["cancelled"] == "CANCELLED"
    state, error, ended = out["failed"]
    assert (state, ended) == ("FAILED", True)
    assert "boom on attempt 1" in error
    assert out["failed_status"] == out["failed"]
    assert out["missing_task"] == 404
