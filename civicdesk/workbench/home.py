""""What needs me now": the queues each role lands on after signing in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import Status as S
from civicdesk.cases.permissions import roles_of
from civicdesk.cases.selectors import case_list_for_user
from civicdesk.organization.choices import Role as R

# How many cases each queue shows on the home page; the queue page shows the rest.
PREVIEW_SIZE = 5
ME = "{me}"  # replaced by the signed-in username


@dataclass(frozen=True)
class HomeQueue:
    key: str
    label: str | Promise
    params: tuple[tuple[str, str], ...]


def _q(key: str, label: str | Promise, **params: str) -> HomeQueue:
    return HomeQueue(key, label, tuple(params.items()))


TO_ACCEPT = _q("to_accept", _("Registered, waiting to be accepted"), status=S.RECEIVED)
TO_DISPATCH = _q("to_dispatch", _("Accepted, waiting to be dispatched"), status=S.ACCEPTED)
RETURNED = _q("returned", _("Returned by departments"), status=S.RETURNED)
TO_REPLY = _q("to_reply", _("Results reported, waiting for the reply"), status=S.REPORTED)
TO_FOLLOW_UP = _q("to_follow_up", _("Replied, waiting for the follow-up visit"), status=S.REPLIED)
TO_SIGN = _q("to_sign", _("Dispatched to my department, waiting to be signed"), status=S.DISPATCHED)
IN_HAND = _q("in_hand", _("In progress in my department"), status=S.IN_PROGRESS)
REOPENED = _q("reopened", _("Reopened"), status=S.REOPENED)
OVERDUE = _q("overdue", _("Overdue"), overdue="true")
DUE_SOON = _q("due_soon", _("Due soon"), due_soon="true")
MY_OVERDUE = _q("my_overdue", _("My cases that are overdue"), leader=ME, overdue="true")
MY_DUE_SOON = _q("my_due_soon", _("My cases that are due soon"), leader=ME, due_soon="true")

QUEUES_BY_ROLE: dict[str, list[HomeQueue]] = {
    R.CLERK: [TO_ACCEPT, TO_REPLY, TO_FOLLOW_UP],
    R.DISPATCHER: [TO_DISPATCH, RETURNED, TO_REPLY, REOPENED, OVERDUE],
    R.HANDLER: [TO_SIGN, IN_HAND, DUE_SOON, OVERDUE],
    R.DEPT_HEAD: [TO_SIGN, IN_HAND, OVERDUE],
    R.LEADER: [MY_OVERDUE, MY_DUE_SOON, REOPENED],
    R.SUPERVISOR: [OVERDUE, DUE_SOON],
    R.GRID_WORKER: [TO_FOLLOW_UP],
    R.MEDIATOR: [IN_HAND],
}


def queues_for(user: Any) -> list[HomeQueue]:
    """The user's queues in role order, each once."""
    seen: dict[str, HomeQueue] = {}
    for role in roles_of(user):
        for queue in QUEUES_BY_ROLE.get(role, []):
            seen.setdefault(queue.key, queue)
    return list(seen.values())


def queue_params(queue: HomeQueue, user: Any) -> QueryDict:
    params = QueryDict(mutable=True)
    for name, value in queue.params:
        params[name] = user.username if value == ME else value
    return params


def home_queues(user: Any) -> list[dict[str, Any]]:
    """Each queue with its first cases and the query string that opens it in full."""
    result = []
    for queue in queues_for(user):
        params = queue_params(queue, user)
        page = case_list_for_user(user=user, params=params, page_size=PREVIEW_SIZE)
        result.append(
            {
                "key": queue.key,
                "label": queue.label,
                "cases": page.items,
                "more": page.has_next,
                "query": params.urlencode(),
            }
        )
    return result
