"""The project's pages without the audit log: a navigation test's URL configuration."""

from django.urls import include, path

from designer.monitoring import urls as monitoring_urls

urlpatterns = [path("", include(monitoring_urls))]
