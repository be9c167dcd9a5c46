from django.contrib import admin

from civicdesk.core.models import CalendarOverride, CalendarYear


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "working", "name"]
    list_filter = ["working"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "note"]
