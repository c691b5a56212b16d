"""manage.py check says when the settings open too much, or name what is not there."""

from django.core.checks import run_checks


def ids(**kwargs):
    return sorted({m.id for m in run_checks() if m.id.startswith("waymark.W2")})


def messages():
    return " | ".join(m.msg for m in run_checks() if m.id.startswith("waymark.W2"))


def test_the_defaults_raise_nothing(settings):
    assert ids() == []


def test_a_typo_in_the_trigger_models_is_reported(settings):
    settings.WAYMARK_TRIGGER_MODELS = {"shop.Order": ["status"], "auth.User": ["usernam"]}
    assert ids() == ["waymark.W201"]
    assert "'shop.Order', which is not an installed model" in messages()
    assert "names 'usernam': no such field" in messages()


def test_a_listed_secret_is_reported(settings):
    settings.WAYMARK_TRIGGER_MODELS = {"auth.User": ["username", "password"]}
    assert ids() == ["waymark.W202"]


def test_an_http_secret_without_hosts_is_reported(settings):
    settings.WAYMARK_HTTP_SECRETS = {
        "open": "env:OPEN",
        "bound": {"value": "env:BOUND", "hosts": ["api.example.com"]},
    }
    assert ids() == ["waymark.W203"]
    assert "WAYMARK_HTTP_SECRETS['open'] has no hosts" in messages()
