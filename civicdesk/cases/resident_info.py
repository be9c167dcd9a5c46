"""What the resident is told about their case: next steps and running deadlines.

Shared by the receipt slip printed at the window (civicdesk.workbench) and the resident portal
(civicdesk.portal), so both say the same thing.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import CaseType, ClockState
from civicdesk.cases.models import Case
from civicdesk.cases.notices import describe_length

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
