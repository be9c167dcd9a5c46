"""The case page: everything about one case, and the forms for what this user may do next.

Every write goes through `case_act` / `attachment_add`; every domain error becomes an answer
on the page (errors beside fields, a conflict notice, 403, 404), never a 500.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from civicdesk.audit.choices import AccessAction, AccessChannel
from civicdesk.audit.services import log_access
from civicdesk.cases.attachments import attachment_add
from civicdesk.cases.choices import Action
from civicdesk.cases.choices import Status as S
from civicdesk.cases.models import Case
from civicdesk.cases.permissions import may_act, may_reveal, roles_of
from civicdesk.cases.reveal import SUGGESTED_PURPOSES, party_reveal
from civicdesk.cases.selectors import case_detail_for_user
from civicdesk.cases.services import case_act
from civicdesk.cases.suggestions import department_by_code, handlers_of
from civicdesk.cases.transitions import allowed_actions
from civicdesk.core.calendar_store import current_calendar
from civicdesk.core.errors import (
    Conflict,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from civicdesk.core.ratelimit import client_ip
from civicdesk.documents.context import kinds_for_history
from civicdesk.documents.models import DocumentKind
from civicdesk.notifications.selectors import messages_for_case
from civicdesk.notifications.services import may_resend, outbox_retry_for_case
from civicdesk.organization.choices import Role as R
from civicdesk.workbench.casepage.forms import ACTION_FORMS, ActionForm, action_form
from civicdesk.workbench.casepage.presenters import (
    clock_rows,
    failed_count,
    message_rows,
    party_rows,
    timeline_entries,
)
from civicdesk.workbench.casepage.selectors import (
    attachment_get_for_user,
    attachments_of,
    timeline_names,
)

CONFLICT_MESSAGE = gettext_lazy(
    "Someone changed this case while you were looking at it. Here is the current state; "
    "your input was not saved."
)
SUPERVISING_ROLES = frozenset({R.LEADER, R.SUPERVISOR, R.DISPATCHER})
# Colours of the status badge; anything not named is grey.
STATUS_BADGES: dict[str, str] = {
    S.RECEIVED: "text-bg-info",
    S.ACCEPTED: "text-bg-primary",
    S.DISPATCHED: "text-bg-primary",
    S.IN_PROGRESS: "text-bg-primary",
    S.SUSPENDED: "text-bg-warning",
    S.RETURNED: "text-bg-warning",
    S.REOPENED: "text-bg-warning",
    S.REPORTED: "text-bg-info",
    S.REPLIED: "text-bg-info",
    S.CLOSED: "text-bg-success",
    S.NOT_ACCEPTED: "text-bg-dark",
    S.REDIRECTED: "text-bg-dark",
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        required=False,
        # The form only carries the errors: attachment_add says "empty" once, in its words.
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "required": True}),
    )


# --- pages -----------------------------------------------------------------------------------


@login_required
@require_GET
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    log_access(request, AccessAction.VIEW_CASE, case_id=case.pk)
    return _render_case(request, case)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTION_FORMS:
        raise Http404
    case = _case_or_404(request.user, pk)
    form = action_form(action, case=case, user=request.user, data=request.POST)
    try:
        if not form.is_valid():
            return _rerender(request, pk, failed=form, status=422)
        case_act(actor=request.user, case_id=pk, action=action, data=form.action_data())
    except ValidationFailed as error:
        _add_errors(form, error)
        return _rerender(request, pk, failed=form, status=422)
    except Conflict:
        return _rerender(
            request, pk, failed=form, alert=str(CONFLICT_MESSAGE), status=409, seen_now=True
        )
    except IllegalTransition as error:
        return _rerender(request, pk, failed=form, alert=error.message, status=409)
    except PermissionDenied as error:
        return _forbidden(request, pk, error.message)
    except NotFound:
        raise Http404 from None
    return _after_action(request, pk, action)


@login_required
@require_POST
def case_attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    _case_or_404(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationFailed.single("file", _("Choose a file to attach."))
        attachment = attachment_add(actor=request.user, case_id=pk, upload=upload)
    except ValidationFailed as error:
        form.is_valid()
        _add_errors(form, error)
        return _rerender(request, pk, upload_form=form, status=422)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Attached “{name}”.").format(name=attachment.original_name))
    return redirect(reverse("workbench:case", args=[pk]) + "#attachments")


@login_required
@require_POST
def case_message_resend(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """"Send again now" for a failed message to the resident."""
    try:
        outbox_retry_for_case(actor=request.user, case_id=pk, message_id=message_id)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as error:
        return _forbidden(request, pk, error.message)
    except Conflict as error:
        return _rerender(request, pk, alert=error.message, status=409)
    messages.success(request, _("The message will be sent again now."))
    if request.htmx:  # type: ignore[attr-defined]
        return _rerender(request, pk, status=200)
    return redirect(reverse("workbench:case", args=[pk]) + "#resident-messages")


@login_required
@require_GET
def case_attachment(request: HttpRequest, pk: int, att_id: int) -> HttpResponseBase:
    """The stored file, with the type read from its content and no sniffing by the browser."""
    try:
        attachment = attachment_get_for_user(user=request.user, case_id=pk, attachment_id=att_id)
        stream = attachment.file.open("rb")
    except (NotFound, OSError):
        raise Http404 from None
    image = attachment.content_type.startswith("image/")
    response = FileResponse(
        stream,
        content_type=attachment.content_type,
        as_attachment=not image,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A file that is opened anyway must not run scripts in the workbench's origin.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def case_party_reveal(request: HttpRequest, pk: int, party_id: int) -> HttpResponse:
    """One masked value in full, for the purpose the user states (logged); htmx swaps it in
    where the masked value was."""
    field = request.POST.get("field", "")
    purpose = request.POST.get("purpose", "")
    try:
        value = party_reveal(
            actor=request.user,
            case_id=pk,
            party_id=party_id,
            field=field,
            purpose=purpose,
            address=client_ip(request),
            channel=AccessChannel.WEB,
        )
    except NotFound:
        raise Http404 from None
    except PermissionDenied as error:
        return HttpResponse(error.message, status=403, content_type="text/plain; charset=utf-8")
    except ValidationFailed as error:
        problems = [p for problems in error.errors.values() for p in problems]
        context = {
            "case_pk": pk,
            "party_id": party_id,
            "field": field,
            "masked": request.POST.get("masked", ""),
            "may_reveal": True,
            "purpose": purpose,
            "problems": problems,
        }
        return render(request, "workbench/casepage/_reveal.html", context, status=422)
    return render(
        request,
        "workbench/casepage/_reveal.html",
        {"case_pk": pk, "party_id": party_id, "field": field, "value": value, "revealed": True},
    )


@login_required
@require_GET
def case_dispatch_handlers(request: HttpRequest, pk: int) -> HttpResponse:
    """The handler choices of the department picked in the dispatch form (an htmx partial)."""
    _case_or_404(request.user, pk)
    department = department_by_code(request.GET.get("department", ""))
    handlers = handlers_of(department) if department is not None else []
    return render(request, "workbench/casepage/_handler_options.html", {"handlers": handlers})


# --- answering -------------------------------------------------------------------------------


def _case_or_404(user: Any, pk: int) -> Case:
    try:
        return case_detail_for_user(user=user, pk=pk)
    except NotFound:
        raise Http404 from None


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    failed: ActionForm | None = None,
    alert: str = "",
    upload_form: UploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # htmx swaps in the page body; a history restore or a plain request gets the whole page.
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    context = case_context(request, case, failed=failed, upload_form=upload_form)
    context.update(alert=alert, show_messages=partial)
    template = "_body.html" if partial else "page.html"
    response = render(request, "workbench/casepage/" + template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _rerender(
    request: HttpRequest,
    pk: int,
    *,
    failed: ActionForm | None = None,
    alert: str = "",
    upload_form: UploadForm | None = None,
    status: int,
    seen_now: bool = False,
) -> HttpResponse:
    """The page as it is now, with the user's input kept: nothing of it was written.

    `seen_now`: the user is being shown the current state, so their kept input now carries the
    current version and sending it again is a deliberate choice.
    """
    try:
        case = case_detail_for_user(user=request.user, pk=pk)
    except NotFound:
        messages.warning(request, alert or _("This case is no longer in your scope."))
        return _redirect(request, reverse("workbench:home"))
    if failed is not None and seen_now:
        failed = _rebound(failed, case)
    return _render_case(
        request, case, failed=failed, alert=alert, upload_form=upload_form, status=status
    )


def _rebound(form: ActionForm, case: Case) -> ActionForm:
    data = {**dict(form.data.items()), "version": str(case.version)}
    return action_form(form.action, case=case, user=form.user, data=data)


def _after_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    label = Action(action).label
    try:
        case = case_detail_for_user(user=request.user, pk=pk)
    except NotFound:
        # The action moved the case out of this user's scope (dispatched away, returned).
        messages.success(
            request,
            _("“{action}” is done. The case has left your scope.").format(action=label),
        )
        return _redirect(request, reverse("workbench:home"))
    messages.success(request, _("“{action}” is done.").format(action=label))
    if request.htmx:  # type: ignore[attr-defined]
        return _render_case(request, case)
    return redirect("workbench:case", pk)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _forbidden(request: HttpRequest, pk: int, message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _rerender(request, pk, alert=message, status=403)
    return render(request, "workbench/casepage/forbidden.html", {"message": message}, status=403)


def _add_errors(form: forms.Form, error: ValidationFailed) -> None:
    for field, problems in error.errors.items():
        form.add_error(field if field in form.fields else None, list(problems))


# --- what the page shows ---------------------------------------------------------------------


def case_context(
    request: HttpRequest,
    case: Case,
    *,
    failed: ActionForm | None = None,
    upload_form: UploadForm | None = None,
) -> dict[str, Any]:
    user = request.user
    events = list(case.events.all())
    forms_by_action = _action_forms(case, user, failed)
    resident_messages = message_rows(
        list(messages_for_case(case=case)), may_resend=may_resend(user, case)
    )
    return {
        "case": case,
        "status_badge": STATUS_BADGES.get(case.status, "text-bg-secondary"),
        "clocks": clock_rows(
            list(case.clocks.all()), now=timezone.now(), calendar=current_calendar()
        ),
        "parties": party_rows(list(case.parties.all())),
        "may_reveal": may_reveal(user, case),
        "reveal_purposes": SUGGESTED_PURPOSES,
        "timeline": timeline_entries(events, timeline_names(events)),
        "attachments": attachments_of(case=case),
        "resident_messages": resident_messages,
        "failed_messages": failed_count(resident_messages),
        "action_forms": forms_by_action,
        "open_action": failed.action if failed is not None else "",
        # Input for an action the case no longer allows: shown read-only so it is not lost.
        "orphan_form": failed if failed is not None and failed not in forms_by_action else None,
        "upload_form": upload_form or UploadForm(),
        "documents": _document_links(case),
        "supervise_url": _supervise_url(case, user),
    }


def _action_forms(case: Case, user: Any, failed: ActionForm | None) -> list[ActionForm]:
    """Exactly the actions the API would list for this user (api.py `_detail`)."""
    result = []
    for action in allowed_actions(case.status):
        if not may_act(user, case, action):
            continue
        if failed is not None and failed.action == action:
            result.append(failed)
        else:
            result.append(action_form(action, case=case, user=user))
    return result


def _document_links(case: Case) -> list[dict[str, Any]]:
    """The written documents this case's history supports (its events are prefetched)."""
    happened = {event.kind for event in case.events.all()}
    return [
        {
            "kind": kind,
            "label": DocumentKind(kind).label,
            "url": reverse("documents:case_document", args=[case.pk, kind]),
        }
        for kind in kinds_for_history(case, happened)
    ]


def _supervise_url(case: Case, user: Any) -> str:
    if not SUPERVISING_ROLES & set(roles_of(user)):
        return ""
    return reverse("supervision:issue", args=[case.pk])
