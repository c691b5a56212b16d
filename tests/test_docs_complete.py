"""The README and docs list what the code ships, read from the code itself.

A new management command, command option, system check id, audit action, setting or doc page
that the documentation does not mention fails here, so the docs cannot fall behind
without a word.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.core.management import load_command_class
from django.core.management.base import BaseCommand

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
ENGINE_DOC = (ROOT / "docs" / "engine.md").read_text()
ACTION = re.compile(r"^[a-z]+\.[a-z_]+$")


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + len(heading) + 2)
    return text[start : end if end != -1 else len(text)]


def _engine_modules() -> list[Path]:
    return [p for p in sorted((ROOT / "engine").rglob("*.py")) if "migrations" not in p.parts]


def _commands() -> list[str]:
    folder = ROOT / "engine" / "management" / "commands"
    return sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")


def _own_options(name: str) -> list[tuple[str, ...]]:
    """The options a command adds to Django's own, each as its spellings (-o, --output)."""

    def options(command: BaseCommand) -> list[tuple[str, ...]]:
        parser = command.create_parser("manage.py", name)
        return [tuple(a.option_strings) for a in parser._actions if a.option_strings]

    base = set(options(BaseCommand()))
    # export_process's own --version (a process version) replaces Django's.
    return [o for o in options(load_command_class("engine", name)) if o not in base]


def _check_ids() -> set[str]:
    ids = set()
    for path in _engine_modules():
        ids.update(re.findall(r'id="(waymark\.[A-Z]\d+)"', path.read_text()))
    return ids


def _literals(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _audit_actions() -> set[str]:
    """Actions written by record(...)/_audit(...), action=..., or `action = ...`."""
    found: set[str] = set()
    for path in _engine_modules():
        if "goflow" in path.parts:  # GoFlow2's names, mapped to Waymark's
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            values: list[str] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", "")
                if name in ("record", "_audit") and node.args:
                    values += _literals(node.args[0])
                values += [
                    v for k in node.keywords if k.arg == "action" for v in _literals(k.value)
                ]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "action" for t in node.targets
            ):
                values += _literals(node.value)
            found.update(v for v in values if ACTION.match(v))
    return found


def test_readme_links_every_doc():
    docs = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    missing = [name for name in docs if f"(docs/{name})" not in README]
    assert missing == [], f"README's Documentation list lacks {missing}"


def test_readme_lists_every_command():
    commands = _section(README, "## Commands")
    missing = [name for name in _commands() if f"`{name}`" not in commands]
    assert missing == [], f"README's Commands table lacks {missing}"


def test_engine_doc_gives_every_command_with_its_options():
    lines = _section(ENGINE_DOC, "## Commands").splitlines()
    starts = {
        name: [i for i, line in enumerate(lines) if f"manage.py {name} " in f"{line} "]
        for name in _commands()
    }
    missing = [name for name, found in starts.items() if not found]
    assert missing == [], f"docs/engine.md's Commands lacks {missing}"
    for name, (start, *_) in starts.items():
        # The command's entry: its line and the comment lines under it.
        end = next(
            (i for i in range(start + 1, len(lines)) if "manage.py " in lines[i]), len(lines)
        )
        entry = "\n".join(lines[start:end])
        absent = [
            spellings[-1]
            for spellings in _own_options(name)
            if not any(re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", entry) for s in spellings)
        ]
        assert absent == [], f"docs/engine.md: manage.py {name} lacks {absent}"


def test_readme_explains_every_check_id():
    ids = _check_ids()
    assert "waymark.E002" in ids  # the scan reads the checks
    missing = sorted(i for i in ids if f"| `{i}` |" not in README)
    assert missing == [], f"README's check table lacks {missing}"


def test_engine_doc_names_every_audit_action():
    actions = _audit_actions()
    assert {"run.started", "process.paused", "webhook.created"} <= actions
    listed = _section(ENGINE_DOC, "## Audit events")
    missing = sorted(a for a in actions if f"`{a}`" not in listed)
    assert missing == [], f"docs/engine.md's Audit events lacks {missing}"


def test_every_setting_is_documented():
    from engine.conf import DEFAULTS

    docs = README + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    missing = sorted(f"WAYMARK_{name}" for name in DEFAULTS if f"WAYMARK_{name}" not in docs)
    assert missing == [], f"no doc names {missing} (README or docs/)"


def test_the_audit_log_filter_offers_every_audit_action():
    from designer.audit.forms import KNOWN_ACTIONS

    missing = sorted(_audit_actions() - set(KNOWN_ACTIONS))
    assert not missing, f"designer/audit/forms.py KNOWN_ACTIONS lacks: {missing}"
