"""The holiday calendar's administrator-entered days, and the configuration site's titles."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import CalendarOverride, CalendarYear

admin.site.site_header = _("civicdesk configuration")
admin.site.site_title = _("civicdesk configuration")
admin.site.index_title = _("Configuration")


class ReadOnlyAdminMixin:
    """For records the application writes and nobody edits (logs, outbox, purge runs): the
    admin lists and shows them, and cannot add, change or delete them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "working", "name"]
    list_filter = ["working"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "note"]
    search_fields = ["note"]
