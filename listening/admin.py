"""Staff maintenance views of the listening app (reviewers use the app's own pages).

Ingested rows are read-only here: they change only through ingestion. The actions
call services (queue a run, discard quarantined records).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction

from listening import services
from listening.models import (
    IngestRun,
    Interaction,
    MetricSnapshot,
    Post,
    QuarantinedRecord,
    Source,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by ingestion: viewable, never edited or added by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "platform",
        "kind",
        "live",
        "schedule_minutes",
        "enabled",
        "last_run_at",
    )
    list_filter = ("platform", "kind", "enabled", "live")
    search_fields = ("name", "path")
    actions = ["queue_run"]

    @admin.action(description="Queue an ingest run now")
    def queue_run(self, request, queryset) -> None:
        queued = 0
        for source in queryset:
            try:
                with transaction.atomic():
                    run = services.ingest_run_create(
                        source=source, requested_by=request.user
                    )
                    services.ingest_run_enqueue(run=run)
                queued += 1
            except ValidationError as exc:
                self.message_user(
                    request, f"{source}: {'; '.join(exc.messages)}", messages.WARNING
                )
        self.message_user(request, f"{queued} run(s) queued.")


@admin.register(IngestRun)
class IngestRunAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "source",
        "status",
        "pages",
        "created",
        "updated",
        "unchanged",
        "quarantined",
        "interactions",
        "attempts",
        "started_at",
        "heartbeat_at",
        "finished_at",
    )
    list_filter = ("status", "source")
    list_select_related = ("source",)
    readonly_fields = [f.name for f in IngestRun._meta.fields]


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = (
        "platform",
        "external_id",
        "author",
        "posted_at",
        "likes",
        "replies",
    )
    list_filter = ("platform",)
    list_select_related = ("author",)
    search_fields = ("external_id", "text")
    raw_id_fields = ("author", "last_run")
    date_hierarchy = "posted_at"


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ("kind", "actor", "target", "post", "occurred_at")
    list_filter = ("kind", "platform")
    list_select_related = ("actor", "target")
    raw_id_fields = ("actor", "target", "post")


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("captured_at", "account", "post", "followers", "likes", "run")
    raw_id_fields = ("account", "post", "run")


@admin.register(QuarantinedRecord)
class QuarantinedRecordAdmin(ReadOnlyAdmin):
    list_display = ("pk", "source", "platform", "reason", "status", "created_at")
    list_filter = ("status", "reason", "platform")
    list_select_related = ("source",)
    search_fields = ("detail", "payload")
    readonly_fields = [f.name for f in QuarantinedRecord._meta.fields]
    actions = ["discard"]

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_staff  # for the action; every field is read-only

    @admin.action(description="Discard the selected records")
    def discard(self, request, queryset) -> None:
        done = 0
        for record in queryset.filter(status=QuarantinedRecord.Status.OPEN):
            services.quarantine_discard(
                record_id=record.pk, user=request.user, note="discarded in admin"
            )
            done += 1
        self.message_user(request, f"{done} record(s) discarded.")
