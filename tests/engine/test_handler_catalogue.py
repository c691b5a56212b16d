"""The handler catalogue: names with a description and the data keys they read and write."""

from __future__ import annotations

import pytest

from engine import handlers
from engine.handlers import handler


@pytest.fixture(autouse=True)
def own_registry(monkeypatch):
    monkeypatch.setattr(handlers, "_registry", dict(handlers._registry))
    monkeypatch.setattr(handlers, "_described", dict(handlers._described))


def entry(name):
    (found,) = [e for e in handlers.catalogue() if e.name == name]
    return found


def test_the_decorator_says_what_a_handler_does_and_the_keys_it_uses():
    @handler("cat.charge", description="Charges the card", reads=["amount"], writes=["charged"])
    def charge(ctx):
        """Not this line."""

    found = entry("cat.charge")
    assert found.description == "Charges the card"
    assert (found.reads, found.writes) == (("amount",), ("charged",))
    assert found.module.endswith(
        "test_handler_catalogue.test_the_decorator_says_what_a_handler_does_and_the_keys_it_uses.<locals>.charge"
    )


def test_the_description_defaults_to_the_docstrings_first_line():
    @handler("cat.ship")
    def ship(ctx):
        """Ships the order.

        More words that are not the description.
        """

    @handler("cat.quiet")
    def quiet(ctx):
        pass

    assert entry("cat.ship").description == "Ships the order."
    assert entry("cat.quiet").description == ""


@pytest.mark.parametrize("keys", ["amount", [1], ["a", None]])
def test_reads_and_writes_are_lists_of_keys(keys):
    with pytest.raises(ValueError, match="list of data keys"):
        handler("cat.bad", reads=keys)
    with pytest.raises(ValueError, match="list of data keys"):
        handler("cat.bad", writes=keys)


def test_names_mapped_in_settings_are_listed_with_their_docstring_or_the_problem(settings):
    settings.WAYMARK_HANDLERS = {
        "cat.asdict": "dataclasses.asdict",
        "cat.gone": "no.such.module.func",
    }
    mapped = entry("cat.asdict")
    assert mapped.module == "dataclasses.asdict" and mapped.description
    gone = entry("cat.gone")
    assert gone.problem.startswith("cannot import") and gone.module == "no.such.module.func"


def test_the_demo_handlers_are_described():
    import engine.demo_handlers  # noqa: F401

    pay = entry("demo.pay")
    assert pay.writes == ("paid", "payment_reference") and pay.reads == ("requester",)
    assert entry("demo.check_policy").writes == ("within_policy",)
