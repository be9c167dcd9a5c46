"""Forms of the case list page. The filters themselves are validated by the list's FilterSet
(civicdesk.cases.filters.CaseFilter); these forms only carry the page's own POSTs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.workbench.queue.selectors import Option


def _choices(options: list[Option], blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *((option.value, option.label) for option in options)]


class CaseIdsField(forms.Field):
    """Case ids ticked in the list; any whole numbers (scope is checked by the service)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Select at least one case.")}

    def to_python(self, value: Any) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Select cases from the list.")) from None


class BulkDispatchForm(forms.Form):
    case = CaseIdsField(label=_("cases"))
    department = forms.ChoiceField(label=_("Department"))
    leader = forms.ChoiceField(label=_("Responsible leader"))
    handler = forms.ChoiceField(label=_("Handler (optional)"), required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        departments: list[Option],
        leaders: list[Option],
        handlers: list[Option],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["department"].choices = _choices(departments, _("Choose a department"))
        fields["leader"].choices = _choices(leaders, _("Choose a leader"))
        fields["handler"].choices = _choices(handlers, _("Let the department choose"))


class SaveFilterForm(forms.Form):
    name = forms.CharField(label=_("Name for this filter"), max_length=60)
    query = forms.CharField(required=False, widget=forms.HiddenInput)
