"""Reads for documents: the template in force and the supervision orders a user may see."""

from __future__ import annotations

from typing import Any

from civicdesk.cases.selectors import cases_visible_to
from civicdesk.core.errors import NotFound
from civicdesk.documents.models import DocumentLanguage, DocumentTemplate
from civicdesk.supervision.models import SupervisionOrder


def active_template(*, kind: str, language: str) -> DocumentTemplate:
    """The active template of `kind` in `language`, else the Chinese one (the official
    language of the centre), else NotFound."""
    languages = [language, DocumentLanguage.ZH_HANS]
    templates = {
        template.language: template
        for template in DocumentTemplate.objects.filter(
            kind=kind, language__in=languages, active=True
        )
    }
    for candidate in languages:
        if candidate in templates:
            return templates[candidate]
    raise NotFound()


def supervision_order_get_for_user(*, user: Any, order_id: int) -> SupervisionOrder:
    """The order, or NotFound unless its case is visible to the user."""
    order = (
        SupervisionOrder.objects.select_related(
            "case__centre",
            "case__category",
            "case__department",
            "department",
            "leader",
            "issued_by",
        )
        .filter(pk=order_id, case__in=cases_visible_to(user))
        .first()
    )
    if order is None:
        raise NotFound()
    return order
