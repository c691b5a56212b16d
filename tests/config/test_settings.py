"""Settings a newcomer and an operator meet first: a fresh clone migrates, and a
deployment without its own SECRET_KEY is refused with a coded check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_KEY = "waymark-insecure-development-key-change-me-in-production-0123456789"


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")
        and not key.startswith("PYTEST")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_plain_migrate_in_a_fresh_clone_creates_its_own_var_folder(tmp_path):
    var = tmp_path / "clone" / "var"
    assert not var.exists()
    done = manage("migrate", "--noinput", "-v", "0", env={"WAYMARK_VAR_DIR": str(var)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "unable to open database file" not in done.stderr
    assert (var / "waymark.sqlite3").stat().st_size > 0


def test_a_var_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = manage("check", env={"WAYMARK_VAR_DIR": str(blocker / "var")})
    assert done.returncode != 0
    assert f"Cannot create {blocker / 'var'} for the SQLite database" in done.stderr
    assert "WAYMARK_VAR_DIR" in done.stderr


def test_check_deploy_refuses_the_development_key_from_the_command_line(tmp_path):
    done = manage("check", "--deploy", env={"DEBUG": "0", "WAYMARK_VAR_DIR": str(tmp_path / "var")})
    assert done.returncode != 0
    assert "waymark.E011" in done.stderr
    assert "SECRET_KEY is not set" in done.stderr
    assert "secrets.token_urlsafe" in done.stderr  # the hint says how to make one


@pytest.mark.django_db
def test_check_deploy_refuses_the_development_key(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = DEVELOPMENT_KEY
    with pytest.raises(SystemCheckError, match="waymark.E011"):
        call_command("check", deploy=True)


@pytest.mark.django_db
def test_check_deploy_takes_a_real_key(settings):
    from engine.checks import check_deploy_secret_key

    settings.SECRET_KEY = "x7!Qe9p-L2vR0sT6wY8zB1nM4cF3gH5jK_aD0uI9oP2lE7rW"
    assert check_deploy_secret_key(None) == []


@pytest.mark.django_db
def test_serving_other_hosts_with_the_development_key_is_refused(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = DEVELOPMENT_KEY
    settings.ALLOWED_HOSTS = ["127.0.0.1", "waymark.example.com"]
    with pytest.raises(SystemCheckError, match=r"waymark.E012.*waymark\.example\.com"):
        call_command("check")


@pytest.mark.django_db
def test_a_laptop_with_the_development_key_passes_the_plain_checks(settings):
    from engine.checks import check_secret_key_served

    settings.DEBUG = False
    settings.SECRET_KEY = DEVELOPMENT_KEY
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    assert check_secret_key_served(None) == []
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    assert check_secret_key_served(None) == []


def test_the_settings_fall_back_to_the_key_the_checks_know():
    from engine.checks import DEVELOPMENT_KEY_PREFIX

    if not os.environ.get("SECRET_KEY"):
        assert django_settings.SECRET_KEY.startswith(DEVELOPMENT_KEY_PREFIX)
    assert DEVELOPMENT_KEY.startswith(DEVELOPMENT_KEY_PREFIX)
