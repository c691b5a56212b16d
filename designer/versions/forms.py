"""Forms of the process library and the versions pages (they only check shape;
the definitions service decides the rest)."""

from __future__ import annotations

from django import forms

from engine.definition_format import MAX_FILE_BYTES
from engine.models.definitions import code_validator


class ProcessForm(forms.Form):
    code = forms.CharField(
        max_length=64,
        required=False,
        validators=[code_validator],
        help_text="Lower-case letters, digits, - and _. It never changes. "
        "Left empty, it is made from the title.",
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    singleton_key = forms.CharField(
        max_length=255,
        required=False,
        label="Singleton key",
        help_text="Optional: a path into the start data, e.g. data.group_id. "
        "At most one active run per value; a start with a taken value opens that run.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The server says what is too long, next to the field; a browser's maxlength
        # would cut a pasted title silently.
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class ImportForm(forms.Form):
    file = forms.FileField(
        required=False,
        label="Definition file",
        help_text="JSON or YAML in the waymark.process/1 format, or BPMN 2.0 (.bpmn) "
        "from Camunda Modeler or bpmn.io.",
    )
    text = forms.CharField(
        required=False,
        label="Or paste the definition",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    publish = forms.BooleanField(required=False, label="Publish it right away")

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload and data.get("text", "").strip():
            raise forms.ValidationError("Choose a file or paste a definition, not both.")
        if not upload and not data.get("text", "").strip():
            raise forms.ValidationError("Choose a definition file or paste one.")
        if upload and upload.size > MAX_FILE_BYTES:
            self.add_error("file", f"The file is larger than {MAX_FILE_BYTES // 1024} KiB.")
        return data

    def source(self) -> tuple[bytes | str, str]:
        """The text to import and its file name (the name tells YAML from JSON)."""
        upload = self.cleaned_data.get("file")
        if upload:
            return upload.read(), upload.name
        return self.cleaned_data["text"], ""


class NoteForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=10_000,
        # autofocus: the confirmation opens with the cursor in the note (HTMX honours it too).
        widget=forms.Textarea(attrs={"rows": 2, "autofocus": True}),
        help_text="Why: shown on the versions page.",
    )
