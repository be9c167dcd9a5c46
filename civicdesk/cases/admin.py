"""Configuration pages. Case content is not edited here: cases change only through actions."""

from django.contrib import admin

from civicdesk.cases.models import Category, DeadlineOverride


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "case_type",
        "parent",
        "default_department",
        "public",
        "active",
    ]
    list_filter = ["case_type", "public", "active"]
    search_fields = ["code", "name_zh", "name_en"]
    autocomplete_fields = ["parent", "default_department"]


@admin.register(DeadlineOverride)
class DeadlineOverrideAdmin(admin.ModelAdmin):
    list_display = ["area", "case_type", "kind", "length", "unit", "max_extension"]
    list_filter = ["case_type", "kind"]
    autocomplete_fields = ["area"]
