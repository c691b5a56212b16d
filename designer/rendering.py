"""One way to draw a form field on every page (settings.FORM_RENDERER points here).

``{{ field.as_field_group }}`` draws a field with templates/forms/field.html
(label, input, help linked by ``aria-describedby``, errors) and ``{{ form }}``
draws a whole form with templates/forms/form.html, so the editor, the runs
and inbox pages, the versions pages and the webhook pages cannot drift apart.
"""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's widgets with the project's field and form templates (templates/forms/).

    TemplatesSetting reads templates through settings.TEMPLATES, so templates/
    is searched first and Django's own widget templates come from the
    ``django.forms`` app.
    """

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
