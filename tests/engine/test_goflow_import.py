"""import_goflow against a real django-goflow2 1.2: build processes there, dump, import, compare.

GoFlow2 runs in its own virtualenv (bench/peers/requirements.txt, at
var/bench-peers as bench/peers/peer_bench.py uses it); the test makes it when
it is missing and skips, saying why, when it cannot (no network).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.utils import ConnectionHandler

from engine.goflow import database
from engine.goflow.mapping import ADDED
from engine.models import Process

ROOT = Path(__file__).resolve().parents[2]
PEERS = ROOT / "var" / "bench-peers"
PEER_PYTHON = PEERS / "bin" / "python"
BUILD = Path(__file__).with_name("goflow_peer_build.py")


def _peer_python() -> Path:
    """GoFlow2's virtualenv, made from bench/peers/requirements.txt when missing."""
    check = [str(PEER_PYTHON), "-c", "import goflow.workflow, django"]
    if PEER_PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return PEER_PYTHON
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True, timeout=120)
        subprocess.run(
            [str(PEERS / "bin" / "pip"), "install", "-q", "-r", "bench/peers/requirements.txt"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"django-goflow2 1.2 could not be installed in {PEERS} (no network?): {exc}")
    return PEER_PYTHON


@pytest.fixture(scope="module")
def goflow_project(tmp_path_factory):
    """GoFlow2's database, its dumpdata JSON, and its graphs as GoFlow2 reads them."""
    out = tmp_path_factory.mktemp("goflow")
    db_path = out / "goflow.sqlite3"
    subprocess.run(
        [str(_peer_python()), str(BUILD), str(db_path), str(out)],
        check=True,
        timeout=120,
        cwd=out,  # goflow2 writes its workflow.log into the working directory
    )
    graphs = json.loads((out / "graphs.json").read_text())
    return {"db": db_path, "dump": out / "workflow.json", "graphs": graphs}


def waymark_graph(code: str) -> dict:
    """The draft's graph in GoFlow2's terms: activities by name, the added start and
    parallel gateways of split/join modes folded away."""
    version = Process.objects.get(code=code).versions.get()
    activities = {a.pk: a for a in version.activities.all()}
    added = {pk for pk, a in activities.items() if a.description.startswith(ADDED)}
    edges = [(t.source_id, t.target_id, t.condition) for t in version.transitions.all()]
    folded = []
    for source, target, condition in edges:
        if activities[source].kind == "start" or target in added:
            continue
        sources = [s for s, t, _ in edges if t == source] if source in added else [source]
        for s in sources:
            folded.append([activities[s].name, activities[target].name, condition])
    return {
        "activities": {
            a.name: a for pk, a in activities.items() if pk not in added and a.kind != "start"
        },
        "transitions": sorted(folded),
        "start": next(a for a in activities.values() if a.kind == "start"),
        "version": version,
    }


KINDS = {"Submit": "human", "Approve": "human", "Pay": "automatic", "End": "end"}
KINDS |= {"Prepare": "human", "Merge": "parallel", "Claim": "subprocess"}


def assert_same_graphs(graphs: dict) -> None:
    codes = {"Expense Claim": "expense-claim", "contracts": "contracts"}
    for goflow_code, expected in graphs.items():
        got = waymark_graph(codes[goflow_code])
        assert got["transitions"] == expected["transitions"], goflow_code
        assert set(got["activities"]) == set(expected["activities"])
        for name, want in expected["activities"].items():
            activity = got["activities"][name]
            assert activity.kind == KINDS.get(name, activity.kind), name
            for field in ("roles", "allowed_users", "allowed_groups"):
                assert sorted(getattr(activity, field)) == want[field], (name, field)
            for field in ("sla_duration", "sla_warn", "compensation_handler"):
                assert getattr(activity, field) == want[field], (name, field)
        begin = got["version"].transitions.get(source=got["start"]).target
        assert begin.name == expected["begin"]
        assert got["version"].status == "draft"


def report_of(*args) -> str:
    from io import StringIO

    out = StringIO()
    try:
        call_command("import_goflow", *args, stdout=out)
    finally:
        print(out.getvalue())
    return out.getvalue()


def test_a_goflow_dump_becomes_drafts_with_the_same_graphs(db, goflow_project):
    report = report_of(str(goflow_project["dump"]))
    assert_same_graphs(goflow_project["graphs"])
    expense = waymark_graph("expense-claim")["activities"]
    assert (expense["Submit"].x, expense["Submit"].y) == (100.0, 80.0)  # positions kept
    assert (expense["Pay"].x, expense["Pay"].y) == (420.0, 40.0)
    claim = waymark_graph("contracts")["activities"]["Claim"]
    assert claim.subprocess_code == "expense-claim"
    assert "Imported expense-claim v1 (draft)" in report
    lost = report.split("Not carried over:")[1].split("Carried over differently")[0]
    assert "form_class 'claims.forms.ApprovalForm'" in lost
    assert "sla_roles finance" in lost
    assert "pre_hook 'claims.hooks.before_timeout'" in lost
    assert "splits with 'and': a parallel gateway added" in report


def test_a_goflow_database_alias_gives_the_same_drafts(db, goflow_project, monkeypatch):
    goflow = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(goflow_project["db"])}
    handler = ConnectionHandler({"default": goflow, "goflow": goflow})
    monkeypatch.setattr(database, "connections", handler)
    try:
        report_of("--database", "goflow")
    finally:
        handler.close_all()
    assert_same_graphs(goflow_project["graphs"])
    with pytest.raises(CommandError, match="no database 'nope'"):
        call_command("import_goflow", "--database", "nope")


def test_a_dry_run_reports_and_writes_nothing(db, goflow_project):
    report = report_of(str(goflow_project["dump"]), "--dry-run")
    assert "Would import contracts v1 (draft)" in report
    assert not Process.objects.exists()
