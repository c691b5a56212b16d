"""Django admin for definitions (editable drafts) and a read-only view of runtime rows.

The admin is one more door onto the same rules: element rows refuse to change
a frozen version (FrozenVersionError), transitions normalize their condition
in ``save``, and Publish / Clone / Rollback call the definition services, so
the admin behaves exactly like the designer and the API.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from engine.errors import DefinitionError
from engine.models import (
    Activity,
    AuditEvent,
    DateEventFire,
    FrozenVersionError,
    Incident,
    ModelEvent,
    Process,
    ProcessInstance,
    ScheduleFire,
    Transition,
    Trigger,
    Version,
    WebhookDelivery,
    WebhookEndpoint,
    WorkItem,
)
from engine.schemas import check_schema
from engine.services import definitions as svc
from engine.services import triggers as trigger_service
from engine.services.singletons import check_singleton_key
from engine.tenancy import tenant_id_for


def _usable_schema(schema):
    """A typed JSON Schema gets the same check as at every door (engine.schemas)."""
    problems = check_schema(schema)
    if problems:
        raise ValidationError(problems)
    return schema


class DraftElementForm(forms.ModelForm):
    def clean_form_schema(self):
        return _usable_schema(self.cleaned_data.get("form_schema"))

    def clean(self):
        cleaned = super().clean()
        version = cleaned.get("version")
        if version is not None and not version.is_draft:
            raise ValidationError(str(FrozenVersionError(version)))
        return cleaned


class DraftOnlyAdmin(admin.ModelAdmin):
    """Elements of a published or retired version are shown read-only."""

    def _version_of(self, obj) -> Version | None:
        return getattr(obj, "version", None)

    def has_change_permission(self, request, obj=None):
        version = self._version_of(obj) if obj is not None else None
        if version is not None and not version.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        version = self._version_of(obj) if obj is not None else None
        if version is not None and not version.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    form = DraftElementForm


class ActivityInline(admin.TabularInline):
    model = Activity
    fields = ("key", "kind", "name", "handler", "x", "y")
    extra = 0
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_draft

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class TransitionInline(admin.TabularInline):
    model = Transition
    fk_name = "version"
    fields = ("key", "source", "target", "condition", "priority", "is_default")
    extra = 0
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_draft

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ("code", "title", "description", "input_schema", "singleton_key", "tenant_id")
        # The answer every door gives for a taken code (not Django's "already exists").
        error_messages = {"code": {"unique": svc.CODE_UNAVAILABLE}}

    def clean_input_schema(self):
        return _usable_schema(self.cleaned_data.get("input_schema"))

    def clean_singleton_key(self):
        # The same data-path rules and written form as the services (engine.services.singletons).
        try:
            return check_singleton_key(self.cleaned_data.get("singleton_key"))
        except svc.DefinitionError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Process)
class ProcessAdmin(admin.ModelAdmin):
    form = ProcessForm
    list_display = ("code", "title", "published", "paused", "created_at")
    list_filter = ("paused",)
    search_fields = ("code", "title", "description")
    readonly_fields = ("created_at", "created_by", "paused")
    actions = ["pause_processes", "resume_processes"]

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("engine.publish_process")

    @admin.action(description="Pause the selected processes' triggers", permissions=["publish"])
    def pause_processes(self, request, queryset):
        for process in queryset:
            trigger_service.set_paused(process, True, user=request.user)  # audited
        messages.success(request, f"Paused {queryset.count()} process(es): triggers stop firing.")

    @admin.action(description="Resume the selected processes' triggers", permissions=["publish"])
    def resume_processes(self, request, queryset):
        for process in queryset:
            trigger_service.set_paused(process, False, user=request.user)  # audited
        messages.success(request, f"Resumed {queryset.count()} process(es).")

    @admin.display(description="published version")
    def published(self, process: Process) -> str:
        version = process.published_version()
        return f"v{version.number}" if version else "—"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new process gets its draft v1 (start -> end) from the service, as everywhere.
        created = svc.create_process(
            obj.code,
            obj.title,
            description=obj.description,
            input_schema=obj.input_schema,
            user=request.user,
            tenant_id=obj.tenant_id or tenant_id_for(request),
        )
        obj.pk = created.pk


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ("process", "number", "status", "created_by", "created_at", "published_at")
    list_filter = ("status", "process")
    search_fields = ("process__code", "note")
    readonly_fields = (
        "process",
        "number",
        "status",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
        "cloned_from",
    )
    inlines = [ActivityInline, TransitionInline]
    actions = ["publish_versions", "clone_versions", "rollback_to_versions"]

    def has_add_permission(self, request):
        return False  # versions come from create, clone and import

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_draft) and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        svc.delete_draft(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for version in queryset:
            svc.delete_draft(version, user=request.user)

    def _each(self, request, queryset: QuerySet, action, done: str) -> None:
        for version in queryset.select_related("process"):
            try:
                result = action(version, user=request.user, note="from the admin")
            except (svc.DefinitionError, svc.ValidationFailed, FrozenVersionError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, done.format(v=version, new=result))

    @admin.action(description="Publish the selected drafts", permissions=["publish"])
    def publish_versions(self, request, queryset):
        self._each(request, queryset, svc.publish, "Published {v.process.code} v{v.number}.")

    @admin.action(description="Clone the selected versions to new drafts", permissions=["design"])
    def clone_versions(self, request, queryset):
        self._each(
            request, queryset, svc.clone, "Cloned {v.process.code} v{v.number} to v{new.number}."
        )

    @admin.action(description="Roll back to the selected versions", permissions=["publish"])
    def rollback_to_versions(self, request, queryset):
        self._each(
            request, queryset, svc.rollback, "{v.process.code} v{v.number} is published again."
        )

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("engine.publish_process")

    def has_design_permission(self, request) -> bool:
        return request.user.has_perm("engine.design_process")


@admin.register(Activity)
class ActivityAdmin(DraftOnlyAdmin):
    list_display = ("key", "name", "kind", "version")
    list_filter = ("kind", "version__status")
    search_fields = ("key", "name", "version__process__code")


@admin.register(Transition)
class TransitionAdmin(DraftOnlyAdmin):
    list_display = ("key", "source", "target", "condition", "priority", "is_default", "version")
    search_fields = ("key", "name", "condition", "version__process__code")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warning = obj.normalize_condition()
        if warning:
            messages.warning(request, f"Condition kept as typed: {warning}")


class TriggerForm(forms.ModelForm):
    """The service's check (``check_trigger``), its message next to the field it names."""

    class Meta:
        model = Trigger
        fields = ("version", "key", *trigger_service.TRIGGER_FIELDS)

    def clean(self):
        cleaned = super().clean()
        version = cleaned.get("version") or getattr(self.instance, "version", None)
        if version is not None and not version.is_draft:
            raise ValidationError(str(FrozenVersionError(version)))
        if self.errors:
            return cleaned
        # The instance takes the form's values only after clean(): check a copy that has them.
        probe = copy.copy(self.instance)
        for name, value in cleaned.items():
            setattr(probe, name, value)
        try:
            trigger_service.check_trigger(probe)
        except DefinitionError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, exc.message)
        return cleaned


@admin.register(Trigger)
class TriggerAdmin(DraftOnlyAdmin):
    """A draft's triggers, written through the trigger services like every other door."""

    form = TriggerForm
    list_display = ("key", "kind", "version", "cron", "timezone", "model", "signal")
    list_filter = ("kind", "version__status")
    search_fields = ("key", "version__process__code", "model", "signal")

    def get_readonly_fields(self, request, obj=None):
        return ("version", "key", "kind") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in trigger_service.TRIGGER_FIELDS}
        if change:
            stored = Trigger.objects.get(pk=obj.pk)
            trigger_service.update_trigger(stored, user=request.user, **fields)
            return
        created = trigger_service.add_trigger(obj.version, obj.key, user=request.user, **fields)
        obj.pk = created.pk

    def delete_model(self, request, obj):
        trigger_service.delete_trigger(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for trigger in queryset.select_related("version"):
            trigger_service.delete_trigger(trigger, user=request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Runtime rows change only through the engine's services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(ReadOnlyAdmin):
    list_display = ("pk", "version", "state", "business_key", "started_at")
    list_filter = ("state",)
    search_fields = ("business_key",)


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    list_display = ("pk", "instance", "activity_key", "state", "assignee", "created_at")
    list_filter = ("state",)
    search_fields = ("activity_key", "name")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("pk", "instance", "kind", "message", "created_at", "resolved_at")
    list_filter = ("kind",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor_name", "process", "instance")
    list_filter = ("action",)
    search_fields = ("action", "actor_name")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    # Read-only: endpoints change only through engine.webhooks.endpoints (the
    # designer's Webhooks page, the API), which checks every field, audits the
    # change and shows a new secret once.
    list_display = ("url", "description", "enabled", "tenant_id", "created_at")
    list_filter = ("enabled",)
    search_fields = ("url", "description")
    exclude = ("secret", "previous_secret", "previous_secret_until")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("message_id", "endpoint", "state", "attempts", "last_status_code", "created_at")
    list_filter = ("state",)


@admin.register(ScheduleFire)
class ScheduleFireAdmin(ReadOnlyAdmin):
    """Armed schedules (runtime state): publish arms, retire or rollback disarms."""

    list_display = ("trigger", "process", "due_at", "last_fired_at", "fires")
    search_fields = ("trigger__key", "process__code")


@admin.register(ModelEvent)
class ModelEventAdmin(ReadOnlyAdmin):
    """The model_event outbox: dispatched by a worker, or by the reconciler's sweep."""

    list_display = ("pk", "trigger", "event", "model", "record_pk", "created_at", "dispatched_at")
    list_filter = ("event", ("dispatched_at", admin.EmptyFieldListFilter))
    search_fields = ("trigger__key", "model", "record_pk")


@admin.register(DateEventFire)
class DateEventFireAdmin(ReadOnlyAdmin):
    """Armed date events (runtime state): one per trigger and record, moved with the date."""

    list_display = ("trigger", "process", "record_pk", "due_at")
    search_fields = ("trigger__key", "process__code", "record_pk")
