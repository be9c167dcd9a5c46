"""The case list ("cases/"): filters, paging, saved filters, bulk dispatch and export.

One view answers both the full page and, for htmx, the results partial (the filter form swaps
only the table, and the field errors out of band)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from civicdesk.audit.choices import AccessAction
from civicdesk.audit.services import export_detail, log_access
from civicdesk.cases.choices import CaseType, Status
from civicdesk.cases.selectors import Page, case_list_for_user
from civicdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from civicdesk.workbench import services
from civicdesk.workbench.queue import export, selectors
from civicdesk.workbench.queue.forms import BulkDispatchForm, SaveFilterForm

# The list's parameters in the order the form shows them; each has a place for its errors.
FILTER_FIELDS = (
    "q",
    "status",
    "type",
    "department",
    "area",
    "leader",
    "category",
    "overdue",
    "due_soon",
    "received_after",
    "received_before",
    "order",
    "page",
)


def _page_number(params: QueryDict) -> int:
    try:
        return int(params.get("page") or 1)
    except ValueError:
        raise ValidationFailed.single("page", _("Enter a whole number.")) from None


def _list_page(request: HttpRequest) -> tuple[Page, dict[str, list[str]]]:
    params = request.GET
    try:
        page = case_list_for_user(
            user=request.user,
            params=params,
            page=_page_number(params),
            ordering=params.get("order") or "newest",
        )
    except ValidationFailed as error:
        return Page(items=[], number=1, has_next=False), error.errors
    return page, {}


def _query_with(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value not in (None, ""):
            query[name] = str(value)
    return query.urlencode()


def _results_context(request: HttpRequest) -> dict[str, Any]:
    page, errors = _list_page(request)
    params = request.GET
    return {
        "page": page,
        "cases": page.items,
        "errors": errors,
        "field_errors": {name: errors.get(name, []) for name in FILTER_FIELDS},
        "query": _query_with(params, page=None),
        "previous_query": _query_with(params, page=page.number - 1 if page.number > 2 else None)
        if page.number > 1
        else None,
        "next_query": _query_with(params, page=page.number + 1) if page.has_next else None,
        "may_dispatch": selectors.user_may_dispatch(request.user),
    }


def _form_context(request: HttpRequest) -> dict[str, Any]:
    params = request.GET
    context: dict[str, Any] = {
        "values": {name: params.get(name, "") for name in FILTER_FIELDS},
        "selected_status": params.getlist("status"),
        "selected_type": params.getlist("type"),
        "status_choices": Status.choices,
        "type_choices": CaseType.choices,
        "yes_no_any": [("", _("any")), ("true", _("yes")), ("false", _("no"))],
        "orderings": [("", _("Newest first")), ("oldest", _("Oldest first"))],
        "departments": selectors.department_options(),
        "areas": selectors.area_options(),
        "leaders": selectors.leader_options(),
        "categories": selectors.category_options(),
        "saved_filters": selectors.saved_filters_for_user(user=request.user),
    }
    if selectors.user_may_dispatch(request.user):
        context["dispatch_handlers"] = selectors.handler_options()
    return context


def _wants_partial(request: HttpRequest) -> bool:
    # A history restore (the browser's back button on a page htmx did not cache) needs the
    # full page, although htmx sends it.
    htmx: Any = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


@login_required
@require_GET
@vary_on_headers("HX-Request")
def queue(request: HttpRequest) -> HttpResponse:
    context = _results_context(request)
    if _wants_partial(request):
        return render(request, "workbench/queue/_results.html", {**context, "oob": True})
    context.update(_form_context(request))
    return render(request, "workbench/queue/queue.html", context)


@login_required
@require_GET
def queue_export(request: HttpRequest) -> HttpResponseBase:
    ordering = request.GET.get("order") or "newest"
    try:
        result = selectors.case_export_rows_for_user(
            user=request.user, params=request.GET, ordering=ordering, limit=export.EXPORT_LIMIT
        )
    except ValidationFailed:
        # The list page shows the same errors next to the fields.
        return HttpResponseRedirect(_queue_url(_query_with(request.GET, page=None)))
    log_access(request, AccessAction.EXPORT_LIST, detail=export_detail(request.GET, result.capped))
    workbook = export.write_case_workbook(result.rows, capped=result.capped)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(
        workbook,
        as_attachment=True,
        filename=f"cases-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["X-Civicdesk-Export-Capped"] = "true" if result.capped else "false"
    return response


def _queue_url(query: str) -> str:
    url = reverse("workbench:queue")
    return url + "?" + query if query else url


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("workbench:queue")


@login_required
@require_POST
def filter_save(request: HttpRequest) -> HttpResponse:
    form = SaveFilterForm(request.POST)
    query = request.POST.get("query", "")
    if not form.is_valid():
        messages.error(request, _("Give the filter a name of at most 60 characters."))
        return HttpResponseRedirect(_queue_url(query))
    try:
        saved = services.saved_filter_create(
            actor=request.user, name=form.cleaned_data["name"], query=query
        )
    except ValidationFailed as error:
        for problems in error.errors.values():
            for problem in problems:
                messages.error(request, problem)
        return HttpResponseRedirect(_queue_url(query))
    messages.success(request, _("Filter “{name}” saved.").format(name=saved.name))
    return HttpResponseRedirect(_queue_url(saved.query))


@login_required
@require_POST
def filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.saved_filter_delete(actor=request.user, filter_id=pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Saved filter deleted."))
    return HttpResponseRedirect(_safe_next(request, request.POST.get("next", "")))


@login_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    if not selectors.user_may_dispatch(request.user):
        return HttpResponseForbidden(_("Only dispatchers may dispatch cases."))
    form = BulkDispatchForm(
        request.POST,
        departments=selectors.department_options(),
        leaders=selectors.leader_options(),
        handlers=selectors.handler_options(),
    )
    back = _safe_next(request, request.POST.get("next", ""))
    if not form.is_valid():
        for field, field_problems in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for problem in field_problems:
                messages.error(request, f"{label}: {problem}")
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    try:
        outcomes = services.cases_dispatch_bulk(
            actor=request.user,
            case_ids=data["case"],
            department=data["department"],
            leader=data["leader"],
            handler=data["handler"],
        )
    except PermissionDenied as error:
        return HttpResponseForbidden(error.message)
    except ValidationFailed as error:
        for problems in error.errors.values():
            for problem in problems:
                messages.error(request, problem)
        return HttpResponseRedirect(back)
    done = [outcome for outcome in outcomes if outcome.ok]
    failed = [outcome for outcome in outcomes if not outcome.ok]
    return render(
        request,
        "workbench/queue/bulk_result.html",
        {"outcomes": outcomes, "done": done, "failed": failed, "back": back},
    )
