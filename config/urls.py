from django.contrib import admin
from django.urls import include, path

from designer.views.favicon import favicon
from designer.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("engine.api.urls")),
    path("", include("designer.monitoring.urls")),  # runs, inbox, process monitoring
    path("", include("designer.audit.urls")),  # audit log, webhook deliveries
    path("", include("designer.versions.urls")),  # process library, versions, publish, compare
    path("", include("designer.urls")),  # the editor
]

# Used when DEBUG is off: JSON under /api/, pages elsewhere (config/errors.py).
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
