"""Run data: its size cap, JSON round trips, dates and correlation values read from it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from engine.conf import step_setting
from engine.errors import DataTooLarge


def data_size(data: Any) -> int:
    """Bytes of ``data`` as compact JSON."""
    return len(json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")))


def check_size(data: dict) -> None:
    """DataTooLarge when ``data`` is over ``WAYMARK_MAX_DATA_BYTES``."""
    limit = int(step_setting("MAX_DATA_BYTES"))
    size = data_size(data)
    if size > limit:
        raise DataTooLarge(size, limit)


def jsonable(value: Any) -> Any:
    """A deep copy of ``value`` as JSON would store it (TypeError when it cannot)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def parse_due(value: Any) -> datetime | None:
    """A date or date-time from run data, time-zone aware (naive means the site's zone)."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = parse_datetime(value.strip())
        if moment is None:
            day = parse_date(value.strip())
            if day is None:
                return None
            moment = datetime(day.year, day.month, day.day)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def correlation_text(value: Any) -> str:
    """The text a correlation value is compared as (``42`` and ``"42"`` match)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)[:255]
