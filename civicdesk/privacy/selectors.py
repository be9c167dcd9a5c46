"""Which cases have kept their parties' personal data past their type's retention.

A case has ended when it is closed (closed_at), when it stopped without closing (not accepted
or redirected to a legal procedure: the moment it entered that state), or, for a merged
duplicate, when its master case closed: the duplicate's resident follows the master's progress
until then. A case with a review still open is not due: the review is decided on its record.
"""

from __future__ import annotations

import calendar
import datetime as dt
import operator
from functools import reduce

from django.db.models import Case as Switch
from django.db.models import (
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.utils import timezone

from civicdesk.cases.choices import Status
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.privacy.models import RetentionRule

# States a case may stay in for good without ever being closed.
ENDED_WITHOUT_CLOSING = (Status.NOT_ACCEPTED, Status.REDIRECTED)
FINISHED = (Status.CLOSED, Status.MERGED, *ENDED_WITHOUT_CLOSING)


def rules_by_type() -> dict[str, RetentionRule]:
    return {rule.case_type: rule for rule in RetentionRule.objects.all()}


def retention_cutoff(now: dt.datetime, months: int) -> dt.datetime:
    """`now` moved back by whole calendar months in local time (31 March - 1 month is the last
    day of February): cases that ended before it are due."""
    local = timezone.localtime(now)
    year, month_index = divmod(local.year * 12 + local.month - 1 - months, 12)
    day = min(local.day, calendar.monthrange(year, month_index + 1)[1])
    return local.replace(year=year, month=month_index + 1, day=day)


def ended_before(cutoff: dt.datetime) -> Q:
    # The first event into a final state is when the case got there (it cannot leave it).
    entered = CaseEvent.objects.filter(
        case=OuterRef("pk"), to_status=OuterRef("status"), at__lt=cutoff
    )
    return (
        Q(status=Status.CLOSED, closed_at__lt=cutoff)
        | Q(
            status=Status.MERGED,
            merged_into__status=Status.CLOSED,
            merged_into__closed_at__lt=cutoff,
        )
        | (Q(status__in=ENDED_WITHOUT_CLOSING) & Q(Exists(entered)))
    )


def cases_due_for_purge(now: dt.datetime) -> QuerySet[Case]:
    """Cases past their type's retention whose parties are not anonymised yet, by id.

    Types without a rule are kept. The status filters narrow the scan through the status index
    (case_status_idx); closed_at has no index of its own, which a daily job can afford (the
    decision record says when one would be worth adding)."""
    rules = rules_by_type()
    if not rules:
        return Case.objects.none()
    due = reduce(
        operator.or_,
        (
            Q(type=case_type) & ended_before(retention_cutoff(now, rule.months))
            for case_type, rule in rules.items()
        ),
    )
    open_review = Case.objects.filter(review_of=OuterRef("pk")).exclude(status__in=FINISHED)
    return (
        Case.objects.filter(due, personal_data_purge__isnull=True)
        .exclude(Exists(open_review))
        .order_by("pk")
    )


def with_end(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Annotates `ended_at`, the moment each (finished) case ended, for reports."""
    entered = (
        CaseEvent.objects.filter(case=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("at", "id")
        .values("at")[:1]
    )
    return cases.annotate(
        ended_at=Switch(
            When(status=Status.CLOSED, then=F("closed_at")),
            When(status=Status.MERGED, then=F("merged_into__closed_at")),
            default=Subquery(entered),
            output_field=DateTimeField(),
        )
    )
