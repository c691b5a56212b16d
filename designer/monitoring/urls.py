from django.urls import path

from designer.monitoring.views import inbox, monitor, runs, start

app_name = "monitoring"

urlpatterns = [
    path("runs/", runs.run_list, name="run_list"),
    path("runs/bulk/", runs.run_bulk, name="run_bulk"),
    path("runs/start/", start.run_start_choose, name="run_start_choose"),
    path("runs/start/<str:code>/", start.run_start, name="run_start"),
    path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/live/", runs.run_live, name="run_live"),
    path("runs/<int:pk>/cancel/", runs.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/retry/", runs.run_retry, name="run_retry"),
    path(
        "runs/<int:pk>/steps/<int:workitem_pk>/retry/",
        runs.workitem_retry,
        name="workitem_retry",
    ),
    path(
        "runs/<int:pk>/steps/<int:workitem_pk>/compensate/",
        runs.workitem_compensate,
        name="workitem_compensate",
    ),
    path("processes/<str:code>/monitor/", monitor.process_monitor, name="process_monitor"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/claim/", inbox.bulk_claim, name="bulk_claim"),
    path("inbox/<int:pk>/", inbox.workitem_detail, name="workitem_detail"),
    path("inbox/<int:pk>/claim/", inbox.workitem_claim, name="workitem_claim"),
    path("inbox/<int:pk>/release/", inbox.workitem_release, name="workitem_release"),
    path("inbox/<int:pk>/complete/", inbox.workitem_complete, name="workitem_complete"),
]
