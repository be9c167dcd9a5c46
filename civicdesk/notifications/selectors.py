"""Reads of the outbox. The caller has already fetched the case through the case selectors,
which keep it inside the user's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from civicdesk.cases.models import Case
from civicdesk.notifications.models import OutboxMessage


def messages_for_case(*, case: Case) -> QuerySet[OutboxMessage]:
    """The case's messages to residents, oldest first. Show `masked_recipient`, never
    `recipient`, in lists."""
    return OutboxMessage.objects.filter(case=case).order_by("created_at", "id")
