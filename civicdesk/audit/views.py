"""The auditor's view of the access log (/audit/): filters, pages, export.

Auditors only: another signed-in user gets 403, an anonymous one the sign-in page. Reading the
log is not itself logged; exporting it is (action export_access_log).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from civicdesk.audit import export
from civicdesk.audit.choices import AccessAction, AccessChannel
from civicdesk.audit.forms import FILTER_NAMES, AccessLogFilterForm
from civicdesk.audit.selectors import (
    RecordPage,
    access_records_for_auditor,
    access_records_for_export,
    is_auditor,
)
from civicdesk.audit.services import log_access

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


def _page_number(params: QueryDict) -> int:
    text = params.get("page") or "1"
    return int(text) if text.isdigit() and int(text) >= 1 else 1


def _query_with(params: QueryDict, **changes: Any) -> str:
    query = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        value = params.get(name)
        if value:
            query[name] = value
    for name, value in changes.items():
        if value:
            query[name] = str(value)
    return query.urlencode()


def _records(request: HttpRequest, form: AccessLogFilterForm) -> RecordPage:
    if not form.is_valid():
        return RecordPage(items=[], number=1, has_next=False)
    return access_records_for_auditor(
        user=request.user, filters=form.cleaned_data, page=_page_number(request.GET)
    )


def _rows_for_display(page: RecordPage) -> list[dict[str, Any]]:
    labels = dict(AccessAction.choices)
    channels = dict(AccessChannel.choices)
    return [
        {
            **row,
            "action_label": labels.get(row["action"], row["action"]),
            "channel_label": channels.get(row["channel"], row["channel"]),
        }
        for row in page.items
    ]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def access_log(request: HttpRequest) -> HttpResponse:
    if not is_auditor(request.user):
        return _forbidden(request)
    form = AccessLogFilterForm(request.GET)
    page = _records(request, form)
    params = request.GET
    context = {
        "form": form,
        "page": page,
        "records": _rows_for_display(page),
        "query": _query_with(params),
        "previous_query": _query_with(params, page=page.number - 1 if page.number > 2 else None)
        if page.number > 1
        else None,
        "next_query": _query_with(params, page=page.number + 1) if page.has_next else None,
    }
    htmx: Any = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    template = "audit/_results.html" if partial else "audit/log.html"
    return render(request, template, context)


@login_required
@require_GET
def access_log_export(request: HttpRequest) -> HttpResponseBase:
    if not is_auditor(request.user):
        return _forbidden(request)
    form = AccessLogFilterForm(request.GET)
    output = request.GET.get("format", "xlsx")
    if output not in export.FORMATS or not form.is_valid():
        # The page shows the same filters with their errors beside them.
        return access_log(request)
    result = access_records_for_export(
        user=request.user, filters=form.cleaned_data, limit=export.EXPORT_LIMIT
    )
    detail = {"filters": form.active_filters(), "format": output, "capped": result.capped}
    log_access(request, AccessAction.EXPORT_ACCESS_LOG, detail=detail)
    writer = export.write_csv if output == "csv" else export.write_xlsx
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(
        writer(result.rows, capped=result.capped),
        as_attachment=True,
        filename=f"access-log-{stamp}.{output}",
        content_type=CONTENT_TYPES[output],
    )
    response["X-Civicdesk-Export-Capped"] = "true" if result.capped else "false"
    return response
