"""The seeds' four examples in docs/triggers.md import and publish as written.

The examples name the seeds' models (hotel.Reservation, shop.Order); here
they are read with installed models in their place, field for field.
"""

import re
from pathlib import Path

import pytest

from engine import handlers
from engine.services.transfer import import_text

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "triggers.md"
# The seeds' models and fields -> installed ones of the same types.
STAND_INS = (
    ("hotel.Booking", "auth.User"),
    ("check_in", "last_login"),  # a date-time
    ("record.status", "record.username"),  # a text field
    ("watch: [status]", "watch: [username]"),
    ("shop.Order", "auth.Group"),
    ("record.customer", "record.name"),
)


def _done(ctx):
    return None


def examples() -> list[str]:
    text = DOC.read_text()
    section = text[text.index("## The seeds' four examples") :]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_there_are_four_examples():
    assert len(examples()) == 4


@pytest.mark.parametrize("index", range(4))
def test_each_example_imports_and_publishes(index):
    text = examples()[index]
    for seed, installed in STAND_INS:
        text = text.replace(seed, installed)
    for name in re.findall(r"handler: ([\w.]+)", text):
        if not handlers.exists(name):  # other tests may record calls to the same names
            handlers.handler(name)(_done)
    version = import_text(text, filename="example.yaml", publish_it=True)
    version.refresh_from_db()
    assert version.status == "published"
    assert version.triggers.count() >= 1
