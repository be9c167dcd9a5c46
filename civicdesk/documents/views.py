"""Documents for a case or a supervision order: a printable page, or DOCX with ?format=docx.

Outside the user's scope, a kind the case's history does not support, and a kind with no active
template all answer 404, like every other read.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django_htmx.middleware import HtmxDetails

from civicdesk.audit.choices import AccessAction
from civicdesk.audit.services import document_detail, log_access
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.core.errors import NotFound
from civicdesk.documents.context import (
    available_kinds,
    case_document_context,
    document_language,
    supervision_order_context,
)
from civicdesk.documents.docx_output import docx_bytes
from civicdesk.documents.models import DocumentKind, DocumentTemplate
from civicdesk.documents.rendering import render_document
from civicdesk.documents.selectors import active_template, supervision_order_get_for_user


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def case_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    try:
        case = case_get_for_user(user=request.user, pk=pk)
        if kind not in available_kinds(case):
            raise NotFound()
        template = active_template(kind=kind, language=document_language(get_language()))
    except NotFound:
        raise Http404 from None
    context = case_document_context(case, kind, template.language)
    log_access(
        request, AccessAction.PRINT_DOCUMENT, case_id=case.pk, detail=document_detail(request, kind)
    )
    return _answer(request, template, context, f"{case.receipt_code}-{kind}")


@login_required
def supervision_order(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        order = supervision_order_get_for_user(user=request.user, order_id=order_id)
        template = active_template(
            kind=DocumentKind.SUPERVISION_ORDER, language=document_language(get_language())
        )
    except NotFound:
        raise Http404 from None
    context = supervision_order_context(order, template.language)
    return _answer(request, template, context, f"{order.number}-{DocumentKind.SUPERVISION_ORDER}")


@login_required
def case_documents(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The documents a case supports, with links to print or download each: a page, or the
    list alone for htmx to place inside the case page."""
    try:
        case = case_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    kinds = [(kind, DocumentKind(kind).label) for kind in available_kinds(case)]
    name = "documents/_case_documents.html" if request.htmx else "documents/case_documents.html"
    return render(request, name, {"case": case, "kinds": kinds})


def _answer(
    request: HttpRequest, template: DocumentTemplate, context: dict[str, str], stem: str
) -> HttpResponse:
    output = request.GET.get("format", "html")
    if output == "docx":
        document = render_document(template, context, html=False)
        return HttpResponse(
            docx_bytes(document),
            content_type=DOCX_TYPE,
            headers={
                "Content-Disposition": content_disposition_header(
                    as_attachment=True, filename=stem + ".docx"
                )
            },
        )
    if output != "html":
        raise Http404
    document = render_document(template, context, html=True)
    return render(request, "documents/print.html", {"document": document})
