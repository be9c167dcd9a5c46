"""The receipt slip handed to the resident: A5 paper or an 80 mm thermal roll, same content."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from civicdesk.audit.choices import AccessAction
from civicdesk.audit.services import log_access
from civicdesk.cases.choices import PartyRole
from civicdesk.cases.models import Case
from civicdesk.cases.receipt_codes import tracking_secret
from civicdesk.cases.resident_info import WHAT_HAPPENS_NEXT, running_deadlines
from civicdesk.cases.serializers import mask_phone
from civicdesk.workbench.intake.views import case_or_404

LAYOUTS = ("a5", "80mm")

# Who the slip names: the people it is handed to, never the other side of a dispute.
RECEIPT_ROLES = {PartyRole.REQUESTER, PartyRole.REPRESENTATIVE}


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request.user, pk)
    layout = request.GET.get("layout", "a5")
    if layout not in LAYOUTS:
        layout = "a5"
    log_access(request, AccessAction.PRINT_DOCUMENT, case_id=case.pk, detail={"kind": "receipt"})
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
            "tracking_secret": tracking_secret(case.receipt_code),
        },
    )


def qr_svg(url: str) -> SafeString:
    # segno writes only path data for the modules (no text of ours goes into the markup), and
    # the receipt code inside the URL comes from the system's own alphabet; safe to inline.
    svg = segno.make(url, error="m", micro=False).svg_inline(
        scale=1, omitsize=True, border=2, title=None
    )
    return mark_safe(svg)  # noqa: S308


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
