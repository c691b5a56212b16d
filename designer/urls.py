"""The editor of a version and its HTMX endpoints (library and versions pages: versions/)."""

from django.urls import path

from designer.forms_designer import views as forms_designer
from designer.views import (
    editor,
    editor_actions,
    editor_clipboard,
    editor_direct,
    editor_dry_run,
    editor_retry,
    editor_selection,
    editor_triggers,
    handlers,
)

app_name = "designer"

VERSION = "processes/<str:code>/versions/<int:number>/"

urlpatterns = [
    path(VERSION, editor.editor, name="editor"),
    path(VERSION + "canvas/", editor.canvas, name="canvas"),
    path(VERSION + "problems/", editor.problems, name="problems"),
    path(VERSION + "undo/", editor_actions.undo, name="undo"),
    path(VERSION + "redo/", editor_actions.redo, name="redo"),
    path(VERSION + "layout/", editor_actions.layout, name="layout"),
    path(VERSION + "activities/add/", editor_actions.activity_add, name="activity_add"),
    path(VERSION + "activities/drop/", editor_direct.activity_drop, name="activity_drop"),
    path(VERSION + "selection/move/", editor_selection.selection_move, name="selection_move"),
    path(VERSION + "selection/delete/", editor_selection.selection_delete, name="selection_delete"),
    path(VERSION + "selection/copy/", editor_clipboard.copy, name="copy"),
    path(VERSION + "selection/duplicate/", editor_clipboard.duplicate, name="duplicate"),
    path(VERSION + "paste/", editor_clipboard.paste, name="paste"),
    path(VERSION + "activities/<str:key>/next/", editor_direct.activity_next, name="activity_next"),
    path(
        VERSION + "activities/<str:key>/rename/",
        editor_direct.activity_rename,
        name="activity_rename",
    ),
    path(VERSION + "activities/<str:key>/kind/", editor_direct.activity_kind, name="activity_kind"),
    path(VERSION + "activities/<str:key>/", editor.activity, name="activity"),
    path(
        VERSION + "activities/<str:key>/move/", editor_actions.activity_move, name="activity_move"
    ),
    path(
        VERSION + "activities/<str:key>/delete/",
        editor_actions.activity_delete,
        name="activity_delete",
    ),
    path(VERSION + "transitions/add/", editor_actions.transition_add, name="transition_add"),
    path(VERSION + "transitions/<str:key>/", editor.transition, name="transition"),
    path(
        VERSION + "transitions/<str:key>/delete/",
        editor_actions.transition_delete,
        name="transition_delete",
    ),
    path(VERSION + "input-form/", forms_designer.process_input, name="process_input"),
    path(VERSION + "default-retry/", editor_retry.default_retry, name="default_retry"),
    path(VERSION + "form-preview/", forms_designer.form_preview, name="form_preview"),
    path(VERSION + "dry-run/", editor_dry_run.dry_run, name="dry_run"),
    path("handlers/", handlers.handler_list, name="handlers"),
    path(VERSION + "triggers/", editor_triggers.trigger_add, name="trigger_add"),
    path(VERSION + "trigger-preview/", editor_triggers.trigger_preview, name="trigger_preview"),
    path(VERSION + "triggers/<str:key>/", editor_triggers.trigger, name="trigger"),
    path(
        VERSION + "triggers/<str:key>/delete/",
        editor_triggers.trigger_delete,
        name="trigger_delete",
    ),
]
