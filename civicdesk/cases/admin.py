"""Configuration pages. Case content is not edited here: cases change only through actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.cases.choices import TimeUnit
from civicdesk.cases.deadline_rules import category_policy
from civicdesk.cases.deadlines import MAX_LENGTH
from civicdesk.cases.models import Category, DeadlineOverride


def length_problem(length: object, unit: object) -> str | None:
    """A length the deadline engine cannot count (it refuses lengths past MAX_LENGTH)."""
    if not isinstance(length, int) or unit not in TimeUnit.values:
        return None  # reported by the field's own validation
    longest = MAX_LENGTH[TimeUnit(str(unit))]
    if not 1 <= length <= longest:
        return _("Enter a length from 1 to {longest} {unit}.").format(
            longest=longest, unit=TimeUnit(str(unit)).label
        )
    return None


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = [
            "code",
            "name_zh",
            "name_en",
            "parent",
            "case_type",
            "default_department",
            "deadline_policy",
            "public",
            "active",
        ]

    def clean_deadline_policy(self) -> Any:
        policy = self.cleaned_data.get("deadline_policy")
        if isinstance(policy, dict):
            problems = [
                f"{kind}: {problem}"
                for kind, rule in policy.items()
                # Missing or non-positive lengths are the model's to report (validate_category).
                if isinstance(rule, dict)
                and isinstance(rule.get("length"), int)
                and rule["length"] > 0
                and (problem := length_problem(rule.get("length"), rule.get("unit", "days")))
            ]
            if problems:
                raise ValidationError(problems)
        return policy


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "case_type",
        "parent",
        "default_department",
        "policy_summary",
        "public",
        "active",
    ]
    list_filter = ["case_type", "public", "active", "default_department"]
    search_fields = ["code", "name_zh", "name_en"]
    autocomplete_fields = ["parent", "default_department"]
    list_select_related = ["parent", "default_department"]
    readonly_fields = ["effective_policy"]

    @admin.display(description=gettext_lazy("own clock lengths"))
    def policy_summary(self, obj: Category) -> str:
        return ", ".join(
            "{kind} {length} {unit}".format(
                kind=kind, length=rule.get("length"), unit=rule.get("unit", TimeUnit.DAYS)
            )
            for kind, rule in (obj.deadline_policy or {}).items()
            if isinstance(rule, dict)
        )

    @admin.display(description=gettext_lazy("clocks this category's cases run"))
    def effective_policy(self, obj: Category) -> str:
        if not obj.pk:
            return ""
        policy = category_policy(obj.case_type, obj.deadline_policy)
        return format_html_join(
            "",
            "<div>{}: {} {} ({})</div>",
            ((kind, rule["length"], rule["unit"], rule["basis"]) for kind, rule in policy.items()),
        )


class DeadlineOverrideForm(forms.ModelForm):
    class Meta:
        model = DeadlineOverride
        fields = ["area", "case_type", "kind", "length", "unit", "max_extension", "basis"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = length_problem(data.get("length"), data.get("unit"))
        if problem:
            self.add_error("length", problem)
        return data


@admin.register(DeadlineOverride)
class DeadlineOverrideAdmin(admin.ModelAdmin):
    form = DeadlineOverrideForm
    list_display = ["area", "case_type", "kind", "length", "unit", "max_extension", "basis"]
    list_filter = ["case_type", "kind", "unit"]
    search_fields = ["area__name", "area__code", "basis"]
    autocomplete_fields = ["area"]
    list_select_related = ["area"]
