"""export_process / import_process: definitions can live in git."""

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from engine.models import Process, Version, VersionStatus
from engine.services import definitions as svc
from tests.engine.test_definitions import simple_definition

pytestmark = pytest.mark.django_db


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_process", *args, stdout=out)
    return out.getvalue()


def test_export_then_import_round_trips_through_files(tmp_path):
    svc.import_definition(simple_definition(), publish_it=True)
    path = tmp_path / "leave.yaml"
    call_command("export_process", "leave", "-o", str(path), stderr=io.StringIO())
    out = io.StringIO()
    call_command("import_process", str(path), "--publish", stdout=out)
    assert "Imported leave v2 (published)" in out.getvalue()
    v1, v2 = Version.objects.get(number=1), Version.objects.get(number=2)
    assert v1.status == VersionStatus.RETIRED
    assert svc.diff_versions(v1, v2).to_dict()["summary"] == {
        "added": 0,
        "removed": 0,
        "changed": 0,
        "moved": 0,
    }


def test_export_defaults_to_the_published_version_and_takes_a_number():
    v1 = svc.import_definition(simple_definition(), publish_it=True)
    svc.clone(v1, note="next")
    assert yaml.safe_load(export("leave"))["version"]["status"] == "published"
    exported = json.loads(export("leave", "--version", "2", "--format", "json"))
    assert exported["version"] == {"number": 2, "status": "draft", "note": "next"}


def test_export_of_unknown_process_or_version_says_so():
    with pytest.raises(CommandError, match="no process with the code 'nope'"):
        export("nope")
    svc.import_definition(simple_definition())
    with pytest.raises(CommandError, match="has no version 7 \\(it has: 1\\)"):
        export("leave", "--version", "7")


def test_a_bad_file_lists_every_problem_and_imports_nothing(tmp_path):
    data = simple_definition()
    data["activities"][1]["kind"] = "robot"
    data["transitions"][0]["target"] = "nowhere"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as caught:
        call_command("import_process", str(path))
    message = str(caught.value)
    assert "activities[1].kind" in message
    assert "nowhere" in message
    assert not Process.objects.exists()


def test_import_refuses_a_missing_file_and_unparsable_text(tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        call_command("import_process", str(tmp_path / "missing.yaml"))
    path = tmp_path / "broken.json"
    path.write_text('{"format": ')
    with pytest.raises(CommandError, match="line 1"):
        call_command("import_process", str(path))
    assert not Process.objects.exists()


def test_import_with_publish_of_an_invalid_definition_imports_nothing(tmp_path):
    data = simple_definition()
    data["transitions"] = data["transitions"][:1]
    path = tmp_path / "leave.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="to fix before it can be published"):
        call_command("import_process", str(path), "--publish")
    assert not Process.objects.exists()


def test_a_file_nested_too_deeply_is_refused_not_a_crash(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000)
    with pytest.raises(CommandError, match="nests too deeply"):
        call_command("import_process", str(path))
