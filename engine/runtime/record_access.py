"""What record triggers may read: the models and fields an administrator opened.

A record trigger (model_event, date_event) is written by a designer, who is
not trusted with every table of the site: without a rule, ``data: {h:
record.password}`` on ``auth.User`` would copy password hashes into run data.
So a trigger may name only a model listed in ``WAYMARK_TRIGGER_MODELS`` and
read (in its condition, data, watch and date field) only the fields listed
there for it, plus the primary key (``pk`` and its field name, e.g. ``id``).

``WAYMARK_TRIGGER_MODELS`` maps ``app_label.ModelName`` to a list of field
names or ``"__all__"`` (every concrete field); a plain list of labels means
``"__all__"`` for each. Whatever is listed, a field whose name contains one of
the secret words (``SECRET_WORDS`` plus ``WAYMARK_TRIGGER_SECRET_FIELDS``) is
never readable: refused when a trigger is saved, and left out of every record
snapshot (the outbox row, the run's data, the ``event:<key>`` signal).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from engine.conf import waymark_setting

ALL = "__all__"
# Parts of field names that hold secrets; matched case-insensitively anywhere in the name.
SECRET_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "credential",
    "salt",
    "otp",
    "hash",
)


def _opened() -> dict[str, object]:
    value = waymark_setting("TRIGGER_MODELS") or {}
    if isinstance(value, dict):
        return dict(value)
    return {str(label): ALL for label in value}


def secret_words() -> tuple[str, ...]:
    extra = waymark_setting("TRIGGER_SECRET_FIELDS") or ()
    return SECRET_WORDS + tuple(str(w).lower() for w in extra)


def is_secret(name: str) -> bool:
    """Whether a field name looks like it holds a secret (never readable by triggers)."""
    lowered = name.lower()
    return any(word in lowered for word in secret_words())


def is_open(label: str) -> bool:
    """Whether ``WAYMARK_TRIGGER_MODELS`` opens model ``label`` to triggers."""
    return label in _opened()


def readable_fields(model: type[models.Model]) -> frozenset[str]:
    """The fields of ``model`` triggers may read (empty but the key when it is not open)."""
    listed = _opened().get(model._meta.label, ())
    concrete = [f.name for f in model._meta.concrete_fields]
    if listed == ALL:
        names: Iterable[str] = concrete
    else:
        names = [n for n in listed if n in concrete] if isinstance(listed, list | tuple) else []
    key = model._meta.pk.name if model._meta.pk is not None else "pk"
    return frozenset(n for n in names if not is_secret(n)) | {key, "pk"}


def read_problem(model: type[models.Model], name: str) -> str:
    """Why a trigger may not read field ``name`` of ``model`` ("" when it may)."""
    label = model._meta.label
    if name in readable_fields(model):
        return ""
    if is_secret(name):
        return f"{label}.{name} holds a secret: triggers never read it"
    return (
        f"{label}.{name} is not open to triggers "
        "(an administrator lists it in WAYMARK_TRIGGER_MODELS)"
    )
