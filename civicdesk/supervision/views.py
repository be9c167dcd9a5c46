"""Supervision pages: the board of late cases, issuing an order, the orders and answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from civicdesk.cases.selectors import case_get_for_user
from civicdesk.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from civicdesk.supervision import selectors, services
from civicdesk.supervision.forms import AnswerForm, IssueForm, add_service_errors
from civicdesk.supervision.models import OrderStatus, SupervisionOrder


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "supervision/forbidden.html", {"message": message}, status=403)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    data = selectors.board_for_user(user=request.user)
    chart = [
        {"name": group.label, "value": group.overdue}
        for group in data.by_department
        if group.key and group.overdue
    ]
    return render(
        request,
        "supervision/board.html",
        {"board": data, "chart": chart, "may_issue": services.may_issue(request.user)},
    )


@login_required
def issue(request: HttpRequest, case_id: int) -> HttpResponse:
    if not services.may_issue(request.user):
        return _forbidden(
            request, _("Only leaders, supervisors and dispatchers issue supervision.")
        )
    try:
        case = case_get_for_user(user=request.user, pk=case_id)
    except NotFound:
        raise Http404 from None
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.supervision_order_issue(
                actor=request.user,
                case_id=case.pk,
                instructions=form.cleaned_data["instructions"],
                due_at=form.cleaned_data["due_at"],
                days=form.cleaned_data["days"],
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            return _forbidden(request, error.message)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Supervision order {number} issued to {department}.").format(
                    number=order.number, department=order.department
                ),
            )
            return HttpResponseRedirect(reverse("supervision:orders"))
    status = 422 if request.method == "POST" else 200
    return render(request, "supervision/issue.html", {"case": case, "form": form}, status=status)


def document_url(order: SupervisionOrder) -> str:
    """The printable order (HTML, or DOCX with ?format=docx) from the documents module."""
    return reverse("documents:supervision_order", args=[order.pk])


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or OrderStatus.OPEN
    if status not in OrderStatus.values:
        status = OrderStatus.OPEN
    rows: list[dict[str, Any]] = [
        {
            "order": order,
            "document_url": document_url(order),
            "may_answer": order.status == OrderStatus.OPEN
            and services.may_answer(request.user, order),
        }
        for order in selectors.order_list_for_user(user=request.user, status=status)
    ]
    return render(
        request,
        "supervision/orders.html",
        {"rows": rows, "status": status, "statuses": OrderStatus.choices},
    )


@login_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    if not services.may_answer(request.user, order):
        return _forbidden(
            request,
            _("Only the handlers and the head of the department it was sent to may answer."),
        )
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.supervision_order_answer(
                actor=request.user, order_id=order.pk, answer=form.cleaned_data["answer"]
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Answer to {number} recorded.").format(number=order.number)
            )
            return HttpResponseRedirect(reverse("supervision:orders"))
    status = 422 if request.method == "POST" else 200
    context = {"order": order, "form": form, "document_url": document_url(order)}
    return render(request, "supervision/answer.html", context, status=status)
