from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.admin_actions import reset_two_factor
from civicdesk.organization.models import (
    ApiToken,
    Area,
    Centre,
    Department,
    DutyShift,
    RoleAssignment,
    User,
)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    list_select_related = ["parent"]


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "area", "parent"]
    list_filter = ["area__level"]
    search_fields = ["code", "name", "area__name"]
    autocomplete_fields = ["area", "parent"]
    list_select_related = ["area", "parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "area", "active"]
    list_filter = ["kind", "active", "area__level"]
    search_fields = ["code", "name", "name_en", "area__name"]
    autocomplete_fields = ["area"]
    list_select_related = ["area"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    autocomplete_fields = ["area", "department"]


@admin.register(User)
class StaffAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Centre"), {"fields": ("display_name", "centre")}),
    )
    add_fieldsets = (
        *(UserAdmin.add_fieldsets or ()),
        (_("Centre"), {"fields": ("display_name", "centre")}),
    )
    list_display = ["username", "display_name", "centre", "roles", "is_active", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "centre", "role_assignments__role"]
    search_fields = ["username", "display_name", "first_name", "last_name", "email"]
    autocomplete_fields = ["centre"]
    list_select_related = ["centre"]
    inlines = [RoleAssignmentInline]
    actions = [reset_two_factor]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("role_assignments")

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        labels = {assignment.get_role_display() for assignment in obj.role_assignments.all()}
        return ", ".join(sorted(str(label) for label in labels))


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area", "department"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name", "area__name", "department__name"]
    autocomplete_fields = ["user", "area", "department"]
    list_select_related = ["user", "area", "department"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ["centre", "post", "user", "starts_at", "ends_at"]
    list_filter = ["centre", "post"]
    search_fields = ["user__username", "user__display_name", "centre__name"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["centre", "user"]
    list_select_related = ["centre", "user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["user__username", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tokens are issued with `manage.py issue_token`, which shows them once
