"""Staff issue Open311 keys here; a key is shown once, in the message after saving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.open311.models import ApiClient, Open311Request
from civicdesk.open311.services import JURISDICTION_ID, api_client_issue


class ApiClientAddForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "jurisdiction_id", "area", "default_area"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction_id"].initial = settings.CIVICDESK_OPEN311_JURISDICTION

    def clean_jurisdiction_id(self) -> str:
        value = str(self.cleaned_data.get("jurisdiction_id") or "")
        if not JURISDICTION_ID.match(value):
            raise forms.ValidationError(
                _("Use letters, digits, dots and hyphens, e.g. the city's web domain.")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        area, default_area = data.get("area"), data.get("default_area")
        if area and default_area and not default_area.path.startswith(area.path):
            self.add_error("default_area", _("The default area must lie inside the area served."))
        return data


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "jurisdiction_id", "area", "active", "created_at"]
    list_filter = ["active", "jurisdiction_id"]
    search_fields = ["name", "prefix", "jurisdiction_id", "area__name"]
    autocomplete_fields = ["area", "default_area"]
    list_select_related = ["area"]
    readonly_fields = ["prefix", "jurisdiction_id", "area", "default_area", "user", "created_at"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiClientAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Scope and jurisdiction are fixed at issue (the service user's role follows them);
        # issue a new key to change them.
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ApiClientAddForm.Meta.fields
        return ["name", "active", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        client, key = api_client_issue(
            name=obj.name,
            area_code=obj.area.code,
            default_area_code=obj.default_area.code,
            jurisdiction_id=obj.jurisdiction_id,
        )
        for field in ApiClient._meta.concrete_fields:
            setattr(obj, field.attname, getattr(client, field.attname))
        obj._state.adding = False
        messages.warning(
            request,
            _("The api_key for {name} is {key} — copy it now: it is not shown again.").format(
                name=client.name, key=key
            ),
        )


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    # Which client sent which request; not the resident's answers or photo link, which are case
    # content an administrator does not read (separation of duties).
    list_display = ["receipt_code", "client"]
    list_filter = ["client"]
    search_fields = ["case__receipt_code"]
    list_select_related = ["case", "client"]
    fields = ("receipt_code", "client")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("receipt code"), ordering="case__receipt_code")
    def receipt_code(self, request_row: Open311Request) -> str:
        # The code only: the case's title is content too.
        return request_row.case.receipt_code

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # submissions arrive through the API only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
