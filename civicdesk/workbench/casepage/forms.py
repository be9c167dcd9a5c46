"""One small form per case action, with the input keys of the API contract.

The forms carry and redisplay input; `case_act` decides what is valid (the same rules for the
API and the page). Fields the service requires get the browser's `required` hint only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import CaseType, DeliveryMethod, Procedure, Satisfaction, TimeUnit
from civicdesk.cases.clocks import extension_left
from civicdesk.cases.models import Case
from civicdesk.cases.notices import describe_length
from civicdesk.cases.suggestions import (
    department_by_code,
    dispatch_departments,
    dispatch_leaders,
    dispatch_suggestion,
    handlers_of,
)
from civicdesk.core.errors import ValidationFailed
from civicdesk.workbench.casepage.selectors import case_pk_by_reference


def _text(label: Any, *, required: bool = False, help_text: Any = "", rows: int = 0) -> Any:
    attrs: dict[str, Any] = {"class": "form-control"}
    if required:
        attrs["required"] = True
    widget = forms.Textarea(attrs={**attrs, "rows": rows}) if rows else forms.TextInput(attrs)
    return forms.CharField(label=label, required=False, help_text=help_text, widget=widget)


def _select(label: Any, choices: Any, *, required: bool = True, radio: bool = False) -> Any:
    blank = [] if radio else [("", "---------")]
    if radio:
        widget: forms.Widget = forms.RadioSelect(attrs={"class": "form-check-input"})
    else:
        widget = forms.Select(attrs={"class": "form-select", "required": required})
    return forms.ChoiceField(label=label, required=False, choices=[*blank, *choices], widget=widget)


class ActionForm(forms.Form):
    """Every action form carries the version of the case the user saw."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case, self.user = case, user
        if not self.is_bound:
            self.initial["version"] = case.version

    # Set by action_form(): several actions share one form class.
    action = ""
    label = ""
    turns_back = False

    def action_data(self) -> dict[str, Any]:
        """The body for `case_act`: what was typed, empty fields left out like the API."""
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class NoteForm(ActionForm):
    note = _text(_("Note"), rows=2)


class ReasonForm(ActionForm):
    reason = _text(_("Reason"), required=True, rows=3)


class NotAcceptForm(ActionForm):
    reason = _text(_("Reason"), required=True, rows=3)
    proper_channel = _text(
        _("Proper channel"),
        required=True,
        help_text=_("Where the resident should take the matter; both go into the notice."),
    )


class RedirectForm(ActionForm):
    procedure = _select(_("Legal procedure"), Procedure.choices)
    reason = _text(_("Reason"), required=True, rows=3)


class DispatchForm(ActionForm):
    department = _select(_("Department"), [])
    leader = _select(_("Responsible leader"), [])
    handler = _select(_("Handler (optional)"), [], required=False)
    rectification_days = forms.CharField(
        label=_("Rectification period (days)"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 365}),
    )
    note = _text(_("Note"), rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.case.type != CaseType.HAZARD:
            del self.fields["rectification_days"]
        self.suggestion = dispatch_suggestion(self.case)
        self._choices(
            "department",
            [
                ("", "---------"),
                *((d.code, f"{d.name} ({d.code})") for d in dispatch_departments()),
            ],
        )
        self._choices(
            "leader",
            [
                ("", "---------"),
                *((u.username, f"{u} ({u.username})") for u in dispatch_leaders()),
            ],
        )
        self._choices(
            "handler",
            [
                ("", _("Let the department choose")),
                *((u.username, f"{u} ({u.username})") for u in self._handlers()),
            ],
        )
        # Picking another department reloads the handler choices (htmx; without it the
        # service still checks that the handler works in the department).
        self.fields["department"].widget.attrs.update(
            {
                "hx-get": reverse("workbench:case_dispatch_handlers", args=[self.case.pk]),
                "hx-target": "#id_dispatch-handler",
                # Set here, or the form's own outerHTML swap would be inherited.
                "hx-swap": "innerHTML",
                "hx-trigger": "change",
            }
        )
        if not self.is_bound:
            self._prefill_suggestion()

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def _handlers(self) -> list[Any]:
        if self.is_bound:
            department = department_by_code(str(self.data.get("department") or ""))
            return handlers_of(department) if department is not None else []
        return self.suggestion.handlers

    def _prefill_suggestion(self) -> None:
        if self.suggestion.department is not None:
            self.initial["department"] = self.suggestion.department.code
        if self.suggestion.leader is not None:
            self.initial["leader"] = self.suggestion.leader.username


class ExtendForm(ActionForm):
    days = forms.CharField(
        label=_("Extension"),
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 1, "required": True}),
    )
    reason = _text(
        _("Reason"),
        required=True,
        rows=3,
        help_text=_("The reason is told to the resident in the extension notice."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clock, left = extension_left(self.case)
        if clock is not None:
            # Counted in the clock's own unit: days for petitions, working days for 12345.
            self.fields["days"].label = _("Extension ({unit})").format(
                unit=TimeUnit(clock.unit).label
            )
            self.fields["days"].widget.attrs["max"] = left
            self.fields["days"].help_text = _("At most {length} more.").format(
                length=describe_length(left, clock.unit)
            )


class ReportForm(ActionForm):
    result = _text(_("Result of the handling"), required=True, rows=4)
    reply = _text(
        _("Draft of the written reply"),
        required=True,
        rows=6,
        help_text=_("The centre checks this draft and delivers it to the resident."),
    )


class ReplyForm(ActionForm):
    delivered_via = _select(_("Delivered"), DeliveryMethod.choices)
    note = _text(_("Note"), rows=2)


class FollowUpForm(ActionForm):
    satisfaction = _select(_("The resident is"), Satisfaction.choices, radio=True)
    note = _text(_("Note"), rows=2)


class MergeForm(ActionForm):
    into = _text(
        _("Merge into (receipt code)"),
        required=True,
        help_text=_("The receipt code of the open case that continues this matter."),
    )

    def action_data(self) -> dict[str, Any]:
        data = super().action_data()
        reference = str(data.get("into") or "")
        pk = case_pk_by_reference(user=self.user, reference=reference)
        if pk is None:
            if not reference:
                raise ValidationFailed.single("into", str(_("This field is required.")))
            raise ValidationFailed.single(
                "into",
                str(_("No case with the receipt code “{code}” is open to you.")).format(
                    code=reference
                ),
            )
        data["into"] = pk
        return data


ACTION_FORMS: dict[str, type[ActionForm]] = {
    A.ACCEPT: NoteForm,
    A.NOT_ACCEPT: NotAcceptForm,
    A.REDIRECT: RedirectForm,
    A.DISPATCH: DispatchForm,
    A.SIGN: NoteForm,
    A.RETURN: ReasonForm,
    A.EXTEND: ExtendForm,
    A.SUSPEND: ReasonForm,
    A.RESUME: NoteForm,
    A.REPORT: ReportForm,
    A.SEND_BACK: ReasonForm,
    A.REPLY: ReplyForm,
    A.FOLLOW_UP: FollowUpForm,
    A.REOPEN: ReasonForm,
    A.REQUEST_REVIEW: ReasonForm,
    A.ESCALATE: ReasonForm,
    A.MERGE: MergeForm,
    A.CLOSE: NoteForm,
}


# Actions that refuse, undo or hand the case elsewhere: shown less prominently.
TURNING_BACK = frozenset(
    {A.NOT_ACCEPT, A.REDIRECT, A.RETURN, A.SEND_BACK, A.REOPEN, A.ESCALATE, A.MERGE}
)


def action_form(action: str, *, case: Case, user: Any, data: Any = None) -> ActionForm:
    form_class = ACTION_FORMS[action]
    # Field names are the API's keys; the ids carry the action so that forms never clash.
    form = form_class(data, case=case, user=user, auto_id=f"id_{action}-%s")
    form.action = action
    form.label = str(A(action).label)
    form.turns_back = action in TURNING_BACK
    return form
