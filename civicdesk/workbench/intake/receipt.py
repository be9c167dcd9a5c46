"""The receipt slip handed to the resident: A5 paper or an 80 mm thermal roll, same content."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from civicdesk.cases.choices import CaseType, ClockState, PartyRole
from civicdesk.cases.models import Case
from civicdesk.cases.notices import describe_length
from civicdesk.cases.serializers import mask_phone
from civicdesk.workbench.intake.views import case_or_404

LAYOUTS = ("a5", "80mm")

WHAT_HAPPENS_NEXT: dict[str, str | Promise] = {
    CaseType.PETITION: _(
        "The centre decides within the time limit below whether to accept your petition and "
        "tells you in writing. An accepted petition is handled by the responsible body, which "
        "answers you in writing; if you disagree with the answer you may ask for a review."
    ),
    CaseType.REQUEST: _(
        "Your request goes to the responsible department, which handles it and replies to you. "
        "We will then ask you whether you are satisfied."
    ),
    CaseType.COMPLAINT: _(
        "Your complaint is checked and passed to the responsible department. You will be told "
        "the result; your identity is kept confidential if you asked for it."
    ),
    CaseType.DISPUTE: _(
        "The centre contacts the parties to arrange mediation, which is voluntary and free. If "
        "mediation does not settle the dispute, we tell you which legal procedure is open to you."
    ),
    CaseType.HAZARD: _(
        "The hazard will be inspected and whoever is responsible ordered to remove it within a "
        "time limit. If there is immediate danger, call 119 or 110 at once."
    ),
    CaseType.INCIDENT: _(
        "The incident has been passed to the responsible departments for immediate action."
    ),
}

# Who the slip names: the people it is handed to, never the other side of a dispute.
RECEIPT_ROLES = {PartyRole.REQUESTER, PartyRole.REPRESENTATIVE}


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    layout = request.GET.get("layout", "a5")
    if layout not in LAYOUTS:
        layout = "a5"
    track_url = settings.CIVICDESK_PUBLIC_TRACK_URL.format(code=case.receipt_code)
    return render(
        request,
        "workbench/intake/receipt.html",
        {
            "case": case,
            "layout": layout,
            "track_url": track_url,
            "qr_svg": qr_svg(track_url),
            "next_steps": WHAT_HAPPENS_NEXT.get(case.type, ""),
            "deadlines": running_deadlines(case),
            "parties": receipt_parties(case),
        },
    )


def qr_svg(url: str) -> SafeString:
    # segno writes only path data for the modules (no text of ours goes into the markup), and
    # the receipt code inside the URL comes from the system's own alphabet; safe to inline.
    svg = segno.make(url, error="m", micro=False).svg_inline(
        scale=1, omitsize=True, border=2, title=None
    )
    return mark_safe(svg)  # noqa: S308


def running_deadlines(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "label": clock.get_kind_display(),
            "due_at": clock.due_at,
            "length": describe_length(clock.length + clock.extended_by, clock.unit),
            "basis": clock.basis_display,
        }
        for clock in case.clocks.all()
        if clock.state == ClockState.RUNNING
    ]


def receipt_parties(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "role": party.get_role_display(),
            "name": party.name or party.organization,
            "phone": mask_phone(party.phone),
            "anonymous": party.anonymous,
        }
        for party in case.parties.all()
        if party.role in RECEIPT_ROLES
    ]
