"""The audit log and webhooks (endpoints and their delivery logs)."""

from django.urls import path

from designer.audit import log, webhooks

app_name = "audit"

urlpatterns = [
    path("audit/", log.log, name="log"),
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", webhooks.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/enabled/", webhooks.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/test/", webhooks.webhook_test, name="webhook_test"),
    path("webhooks/deliveries/<int:pk>/retry/", webhooks.delivery_retry, name="delivery_retry"),
]
