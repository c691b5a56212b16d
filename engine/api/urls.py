"""The REST API under /api/v1/ (see docs/api.md)."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from engine.api.converters import ElementKeyConverter, IdConverter, ProcessCodeConverter
from engine.api.errors import unknown_path
from engine.api.views import (
    audit,
    dry_run,
    elements,
    handlers,
    incidents,
    me,
    moves,
    processes,
    runs,
    signals,
    triggers,
    versions,
    webhooks,
    workitems,
)

register_converter(IdConverter, "wid")
register_converter(ProcessCodeConverter, "code")
register_converter(ElementKeyConverter, "key")

app_name = "api"

VERSION = "processes/<code:code>/versions/<wid:number>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # definitions
    path("processes/", processes.ProcessList.as_view(), name="process-list"),
    path("processes/<code:code>/", processes.ProcessDetail.as_view(), name="process-detail"),
    path("processes/<code:code>/pause/", triggers.ProcessPause.as_view(), name="process-pause"),
    path("processes/<code:code>/resume/", triggers.ProcessResume.as_view(), name="process-resume"),
    path("processes/<code:code>/versions/", versions.VersionList.as_view(), name="version-list"),
    path(
        "processes/<code:code>/versions/import/",
        versions.VersionImport.as_view(),
        name="version-import",
    ),
    path(VERSION, versions.VersionDetail.as_view(), name="version-detail"),
    path(f"{VERSION}clone/", versions.VersionClone.as_view(), name="version-clone"),
    path(f"{VERSION}publish/", versions.VersionPublish.as_view(), name="version-publish"),
    path(f"{VERSION}rollback/", versions.VersionRollback.as_view(), name="version-rollback"),
    path(f"{VERSION}validate/", versions.VersionValidate.as_view(), name="version-validate"),
    path(f"{VERSION}diff/", versions.VersionDiff.as_view(), name="version-diff"),
    path(f"{VERSION}export/", versions.VersionExport.as_view(), name="version-export"),
    path(f"{VERSION}move-runs/", moves.MoveRuns.as_view(), name="version-move-runs"),
    path(f"{VERSION}dry-run/", dry_run.VersionDryRun.as_view(), name="version-dry-run"),
    path(f"{VERSION}activities/", elements.ActivityList.as_view(), name="activity-list"),
    path(
        f"{VERSION}activities/<key:key>/",
        elements.ActivityDetail.as_view(),
        name="activity-detail",
    ),
    path(f"{VERSION}transitions/", elements.TransitionList.as_view(), name="transition-list"),
    path(
        f"{VERSION}transitions/<key:key>/",
        elements.TransitionDetail.as_view(),
        name="transition-detail",
    ),
    path(f"{VERSION}triggers/", triggers.TriggerList.as_view(), name="trigger-list"),
    path(
        f"{VERSION}triggers/<key:key>/",
        triggers.TriggerDetail.as_view(),
        name="trigger-detail",
    ),
    # runs, signals, workitems
    path("runs/", runs.RunList.as_view(), name="run-list"),
    path("runs/<wid:run_id>/", runs.RunDetail.as_view(), name="run-detail"),
    path("runs/<wid:run_id>/cancel/", runs.RunCancel.as_view(), name="run-cancel"),
    path("runs/<wid:run_id>/retry/", runs.RunRetry.as_view(), name="run-retry"),
    path("runs/<wid:run_id>/suspend/", runs.RunSuspend.as_view(), name="run-suspend"),
    path("runs/<wid:run_id>/resume/", runs.RunResume.as_view(), name="run-resume"),
    path("signals/", signals.SignalSend.as_view(), name="signal-send"),
    path("workitems/", workitems.WorkItemList.as_view(), name="workitem-list"),
    path(
        "workitems/<wid:workitem_id>/", workitems.WorkItemDetail.as_view(), name="workitem-detail"
    ),
    path(
        "workitems/<wid:workitem_id>/claim/",
        workitems.WorkItemClaim.as_view(),
        name="workitem-claim",
    ),
    path(
        "workitems/<wid:workitem_id>/release/",
        workitems.WorkItemRelease.as_view(),
        name="workitem-release",
    ),
    path(
        "workitems/<wid:workitem_id>/complete/",
        workitems.WorkItemComplete.as_view(),
        name="workitem-complete",
    ),
    # audit
    path("audit/", audit.AuditList.as_view(), name="audit-list"),
    path("audit/<wid:event_id>/", audit.AuditDetail.as_view(), name="audit-detail"),
    # incidents, webhooks, the caller
    path("incidents/", incidents.IncidentList.as_view(), name="incident-list"),
    path(
        "incidents/<wid:incident_id>/", incidents.IncidentDetail.as_view(), name="incident-detail"
    ),
    path(
        "incidents/<wid:incident_id>/retry/",
        incidents.IncidentRetry.as_view(),
        name="incident-retry",
    ),
    path(
        "incidents/<wid:incident_id>/resolve/",
        incidents.IncidentResolve.as_view(),
        name="incident-resolve",
    ),
    path("webhooks/", webhooks.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<wid:endpoint_id>/", webhooks.WebhookDetail.as_view(), name="webhook-detail"),
    path(
        "webhooks/<wid:endpoint_id>/secret/",
        webhooks.WebhookSecret.as_view(),
        name="webhook-secret",
    ),
    path(
        "webhooks/<wid:endpoint_id>/rotate-secret/",
        webhooks.WebhookRotateSecret.as_view(),
        name="webhook-rotate-secret",
    ),
    path("me/", me.Me.as_view(), name="me"),
    path("handlers/", handlers.HandlerList.as_view(), name="handler-list"),
    # Last: any other path under /api/v1/ (an unknown endpoint, an id that cannot be such as
    # -1, abc or 2**63) answers the JSON 404 body rather than Django's HTML page.
    re_path(r"^", unknown_path, name="unknown"),
]
