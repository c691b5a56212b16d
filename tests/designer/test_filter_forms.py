"""The list filters are drawn in Python (designer/monitoring/forms.py) with Django's markup.

Each field of the runs list's, the inbox's and the monitoring page's filter
forms, in the states a person can put them in (empty, chosen, typed wrong,
names that need escaping), is drawn both ways and must come out the same as
through Django's own widget templates.
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from django import forms

from designer.monitoring import forms as filter_forms

PROCESSES = [
    SimpleNamespace(code="expense", title='Expense <claims> & "travel"'),
    SimpleNamespace(code="a&b", title="Ünïcode ‘quotes’"),
]

CASES = [
    (filter_forms.RunFilterForm, None, {"processes": PROCESSES, "triggers": ["nightly"]}),
    (
        filter_forms.RunFilterForm,
        {
            "process": "a&b",
            "version": "3",
            "state": "failed",
            "started_from": "2026-01-02",
            "started_to": "2026-01-01",
            "business_key": 'B-"7"<x>',
            "trigger": "typed-by-hand",
            "sort": "oldest",
        },
        {"processes": PROCESSES, "triggers": ["nightly", "hourly"]},
    ),
    (
        filter_forms.RunFilterForm,
        {"version": "x", "started_from": "2026-13-40", "state": "nope"},
        {"processes": [], "triggers": []},
    ),
    (filter_forms.InboxFilterForm, None, {"processes": PROCESSES}),
    (
        filter_forms.InboxFilterForm,
        {"q": "<b>late</b> & due", "process": "expense", "due": "overdue", "sort": "due"},
        {"processes": PROCESSES},
    ),
    (filter_forms.InboxFilterForm, {"due": "bogus", "sort": "x"}, {"processes": []}),
    (filter_forms.PeriodForm, None, {}),
    (filter_forms.PeriodForm, {"version": "2", "days": "7"}, {}),
    (filter_forms.PeriodForm, {"version": "-1", "days": "9"}, {}),
]


def _drawn(form: forms.Form) -> list[str]:
    return [str(field) for field in form]


def _by_django_templates(form: forms.Form) -> list[str]:
    def through_templates(widget, template_name, context, renderer=None):
        return forms.Widget._render(widget, template_name, context, renderer)

    with mock.patch.object(filter_forms._Drawn, "_render", through_templates):
        return [str(field) for field in form]


@pytest.mark.parametrize(("form_class", "data", "kwargs"), CASES)
def test_filter_fields_are_drawn_as_by_django_templates(form_class, data, kwargs):
    form = form_class(data, **kwargs)
    form.is_valid()  # errors too: a field in error is drawn with aria-invalid
    assert _drawn(form) == _by_django_templates(form)


def test_every_filter_widget_is_drawn_in_python():
    """A widget added to a filter form without the Python drawing would bring the
    template engine back on every list page."""
    for form_class, data, kwargs in CASES:
        form = form_class(data, **kwargs)
        for name, field in form.fields.items():
            assert isinstance(field.widget, filter_forms._Drawn), (form_class.__name__, name)


def test_the_drawing_escapes_what_people_typed():
    form = filter_forms.InboxFilterForm({"q": '"><script>x</script>'}, processes=PROCESSES)
    html = "".join(_drawn(form))
    assert "<script>" not in html
    assert "&quot;&gt;&lt;script&gt;" in html
    assert "Expense &lt;claims&gt; &amp; &quot;travel&quot;" in html
