"""Retention rules are edited in the admin; purge runs are read there, never changed."""

from __future__ import annotations

from django.contrib import admin

from civicdesk.core.admin import ReadOnlyAdminMixin
from civicdesk.privacy.models import PurgeRun, RetentionRule


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin[RetentionRule]):
    list_display = ("case_type", "length", "unit", "keep_attachments", "note")
    list_editable = ("length", "unit", "keep_attachments")
    list_filter = ("unit", "keep_attachments")


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PurgeRun]):
    list_display = ("started_at", "dry_run", "source", "cases", "parties", "finished_at")
    list_filter = ("dry_run", "source")
    date_hierarchy = "started_at"
    readonly_fields = (
        "started_at",
        "finished_at",
        "as_of",
        "dry_run",
        "source",
        "cases",
        "parties",
        "per_type",
    )
    actions = None

