"""The form designer: a process's input form and a task's form, designed in the editor.

The designer itself is a script (static/js/form_designer.js) that edits the
JSON Schema in the form's text field, so the stored format stays JSON Schema
and every save goes through the services' schema checks. This package holds
its server side: the process's input form in the properties panel
(``views.process_input``) and the preview, which draws the very form the
start and task pages draw (``views.form_preview``).
"""
