"""The access log in the admin: read-only for those given the view permission. No one, not even
a superuser, adds, changes or deletes records here (docs/decisions/0027)."""

from __future__ import annotations

from django.contrib import admin

from civicdesk.audit.models import AccessRecord
from civicdesk.core.admin import ReadOnlyAdminMixin


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AccessRecord]):
    list_display = ("at", "user", "action", "case", "channel", "address")
    list_filter = ("action", "channel")
    date_hierarchy = "at"
    raw_id_fields = ("user", "case")
    list_select_related = ("user", "case")
    show_full_result_count = False
    actions = None

