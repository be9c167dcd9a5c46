"""Background tasks of the outbox. Each takes ids and calls a service."""

from __future__ import annotations

from collections import Counter

from django_tasks import task

from civicdesk.notifications.services import outbox_deliver, outbox_sweep


@task()
def deliver_messages(message_ids: list[int]) -> dict[str, int]:
    return dict(Counter(outbox_deliver(message_id=message_id) for message_id in message_ids))


@task()
def sweep_outbox() -> dict[str, int]:
    result = outbox_sweep()
    return {"rescued": result.rescued, "given_up": result.given_up, "enqueued": result.enqueued}
