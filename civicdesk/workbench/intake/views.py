"""Register a case at the window: the form, its look-ups while typing, and the confirmation.

Views only translate: POST fields to the service's dict and its errors back to fields. The
writes are `case_create` and `case_act`; the reads are selectors and `cases.lookups`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicdesk.cases import lookups
from civicdesk.cases.choices import Action
from civicdesk.cases.intake import MAX_REPRESENTATIVES, case_create
from civicdesk.cases.models import Case
from civicdesk.cases.permissions import may_act
from civicdesk.cases.selectors import case_detail_for_user
from civicdesk.cases.services import case_act
from civicdesk.cases.transitions import allowed_actions
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.workbench.intake.form import (
    IntakeForm,
    attach_errors,
    blank_form,
    case_data,
    choices_context,
    form_from_post,
)


def _areas_or_403(user: Any) -> list[dict[str, Any]]:
    """The areas the user registers in; none means the user may not register (403)."""
    areas = lookups.area_index_for(user)
    if not areas:
        raise DjangoPermissionDenied(_("Your roles do not allow registering cases."))
    return areas


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    areas = _areas_or_403(request.user)
    if request.method != "POST":
        return _form_page(request, blank_form(), areas)
    form = form_from_post(request.POST)
    data, rows = case_data(form, lookups.category_index())
    try:
        case, _created = case_create(actor=request.user, data=data)
    except ValidationFailed as exc:
        attach_errors(form, exc.errors, rows)
    except DomainError as exc:
        form.general_errors.append(exc.message)
    else:
        return redirect("workbench:intake_done", pk=case.pk)
    return _form_page(request, form, areas, status=422)


def _form_page(
    request: HttpRequest, form: IntakeForm, areas: list[dict[str, Any]], status: int = 200
) -> HttpResponse:
    categories = lookups.category_index()
    context = {
        "form": form,
        "categories": categories,
        "areas": areas,
        "category_label": _label(categories, form.values.get("category"), _category_text),
        "area_label": _label(areas, form.values.get("area"), _area_text),
        "max_representatives": MAX_REPRESENTATIVES,
        "too_many_representatives": _("A group visit sends at most {n} representatives.").format(
            n=MAX_REPRESENTATIVES
        ),
        **choices_context(),
    }
    return render(request, "workbench/intake/form.html", context, status=status)


def _label(index: list[dict[str, Any]], code: str | None, text: Any) -> str:
    """What the picker shows for a code already chosen (the form shown again after errors)."""
    for entry in index:
        if code and entry["code"] == code:
            return str(text(entry))
    return code or ""


def _category_text(entry: dict[str, Any]) -> str:
    return "{zh} ({code})".format(**entry)


def _area_text(entry: dict[str, Any]) -> str:
    return "{name} ({code})".format(**entry)


@login_required
@require_GET
def phone_matches(request: HttpRequest) -> HttpResponse:
    """The earlier cases of whoever has this phone number (any `*phone` field is read, so each
    party row's own input can ask)."""
    _areas_or_403(request.user)
    phone = next(
        (value for key in request.GET if key.endswith("phone") and (value := request.GET[key])),
        "",
    )
    cases = lookups.cases_for_phone(user=request.user, phone=phone) if phone else []
    return render(
        request,
        "workbench/intake/_phone_matches.html",
        {"cases": cases, "phone": phone, "searched": bool(phone)},
    )


# POST, though it writes nothing: the description can be far longer than a URL may be.
@login_required
@require_POST
def duplicates(request: HttpRequest) -> HttpResponse:
    _areas_or_403(request.user)
    text = " ".join(request.POST.get(name, "") for name in ("title", "description"))
    similar = lookups.similar_cases(
        user=request.user,
        text=text,
        category_code=request.POST.get("category", ""),
        area_code=request.POST.get("area", ""),
    )
    return render(request, "workbench/intake/_duplicates.html", {"similar": similar})


@login_required
@require_GET
def registered(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation after saving: receipt code, print choices, and possible duplicates."""
    case = case_or_404(request.user, pk)
    similar = lookups.similar_cases(
        user=request.user,
        text=case.title + " " + case.description,
        category_code=case.category.code,
        area_code=case.area.code,
        exclude_id=case.pk,
    )
    may_merge = Action.MERGE in allowed_actions(case.status) and may_act(
        request.user, case, Action.MERGE
    )
    return render(
        request,
        "workbench/intake/registered.html",
        {"case": case, "similar": similar, "may_merge": may_merge},
    )


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merges the case just registered into an earlier one the clerk recognised."""
    into = request.POST.get("into", "")
    try:
        case_act(actor=request.user, case_id=pk, action=Action.MERGE, data={"into": into})
    except NotFound:
        raise Http404() from None
    except ValidationFailed as exc:
        problems = [p for values in exc.errors.values() for p in values]
        messages.error(request, " ".join(problems) or exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The new case was merged into the earlier one."))
        return redirect("workbench:case", pk=int(into))
    return redirect("workbench:intake_done", pk=pk)


def case_or_404(user: Any, pk: int) -> Case:
    try:
        return case_detail_for_user(user=user, pk=pk)
    except NotFound:
        raise Http404() from None
