"""The process's input form as edited in the editor's properties panel."""

from __future__ import annotations

from typing import Any

from django import forms

from designer.forms import JSONObjectField
from engine.schemas import check_schema


class ProcessInputForm(forms.Form):
    input_schema = JSONObjectField(
        required=False,
        label="Input form (JSON Schema)",
        help_text="The data a run starts with. Empty: any JSON object.",
    )

    def clean_input_schema(self) -> dict[str, Any]:
        schema = self.cleaned_data["input_schema"]
        # The same check as every door (the service checks again when it saves).
        problems = check_schema(schema)
        if problems:
            raise forms.ValidationError(problems)
        return schema


def process_input_form(process, data=None) -> ProcessInputForm:
    form = ProcessInputForm(data, initial={"input_schema": process.input_schema or {}})
    form.fields["input_schema"].widget.attrs["data-form-designer"] = "input"
    return form
