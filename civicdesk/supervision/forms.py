from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.core.errors import ValidationFailed
from civicdesk.supervision.services import MAX_DAYS


class IssueForm(forms.Form):
    instructions = forms.CharField(
        label=_("Instructions to the department"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        max_length=4000,
    )
    days = forms.IntegerField(
        label=_("Answer within (working days)"),
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    due_at = forms.DateTimeField(
        label=_("…or answer by"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        max_length=4000,
    )


def add_service_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Puts each problem next to its field; problems of no field of the form go on top."""
    for field, problems in error.errors.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
