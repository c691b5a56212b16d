"""``{% process_input_panel %}``: the process's input form in the editor's properties panel."""

from __future__ import annotations

from django import template

from designer.forms_designer.views import PANEL, panel_context

register = template.Library()


@register.inclusion_tag(PANEL, takes_context=True)
def process_input_panel(context) -> dict:
    return panel_context(context["request"], context["version"])
