"""The version's default retry policy in the editor's properties panel (shown when
nothing is selected): its form and what the fieldset shows. Saving: editor_retry."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from engine import definition_format as fmt
from engine.models import Version

BUILT_IN = fmt.RetrySpec()


class DefaultRetryForm(forms.Form):
    """The four numbers of a RetrySpec; all empty means no default (the built-in policy).

    Limits are not repeated here: the service checks them as the file format does.
    """

    max_attempts = forms.IntegerField(
        required=False,
        label="Attempts",
        help_text=f"Tries in all, the first included (built-in: {BUILT_IN.max_attempts}).",
    )
    base_delay = forms.FloatField(
        required=False,
        label="First delay (s)",
        help_text=f"Wait before the second try (built-in: {BUILT_IN.base_delay:g}).",
    )
    backoff_factor = forms.FloatField(
        required=False,
        label="Backoff factor",
        help_text=f"Each wait is this many times the last (built-in: {BUILT_IN.backoff_factor:g}).",
    )
    max_delay = forms.FloatField(
        required=False,
        label="Longest delay (s)",
        help_text=f"No wait is longer (built-in: {BUILT_IN.max_delay:g}).",
    )

    def policy(self) -> dict[str, float | int]:
        """The fields that were filled in (the others take the built-in value)."""
        return {name: value for name, value in self.cleaned_data.items() if value is not None}


def retry_form(version: Version, data=None) -> DefaultRetryForm:
    # Read from the row: undo, redo and the save itself change it through a locked copy,
    # so the version the view holds may be out of date.
    stored = Version.objects.filter(pk=version.pk).values_list("default_retry", flat=True)
    return DefaultRetryForm(data, initial=stored.first() or {}, prefix="retry")


def retry_context(version: Version, *, editable: bool, form: DefaultRetryForm | None) -> dict:
    """What the default retry fieldset shows (read-only unless the draft is editable)."""
    form = form or retry_form(version)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return {
        "retry_form": form,
        "retry_url": reverse("designer:default_retry", args=(version.process.code, version.number)),
    }
