"""The auditor's filters: each field checked, its problem shown beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.audit.choices import AccessAction
from civicdesk.cases.receipt_codes import normalise_receipt_code

FILTER_NAMES = ("after", "before", "user", "case", "action", "address")


def _attrs(**extra: str) -> dict[str, str]:
    return {"class": "form-control form-control-sm", **extra}


class AccessLogFilterForm(forms.Form):
    after = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(_attrs(type="date"))
    )
    before = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(_attrs(type="date"))
    )
    user = forms.CharField(
        label=_("User name"), required=False, max_length=150, widget=forms.TextInput(_attrs())
    )
    case = forms.CharField(
        label=_("Case number or receipt code"),
        required=False,
        max_length=32,
        widget=forms.TextInput(_attrs()),
    )
    action = forms.ChoiceField(
        label=_("What"),
        required=False,
        choices=[("", _("any")), *AccessAction.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    address = forms.CharField(
        label=_("Network address (or its beginning)"),
        required=False,
        max_length=64,
        widget=forms.TextInput(_attrs()),
    )

    def clean_case(self) -> dict[str, Any] | None:
        """{"receipt_code": ...} or {"id": ...}: what the auditor typed, understood."""
        text = self.cleaned_data["case"].strip()
        if not text:
            return None
        code = normalise_receipt_code(text)
        if code is not None:
            return {"receipt_code": code}
        if text.isdigit() and len(text) <= 18:
            return {"id": int(text)}
        raise forms.ValidationError(_("Enter a case number or a receipt code."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        after: dt.date | None = cleaned.get("after")
        before: dt.date | None = cleaned.get("before")
        if after and before and after > before:
            self.add_error("before", _("The end date comes before the start date."))
        return cleaned

    def active_filters(self) -> dict[str, str]:
        """The filters as typed, for the export's own record."""
        return {name: str(self.data[name]) for name in FILTER_NAMES if self.data.get(name)}
