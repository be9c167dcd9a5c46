from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from civicdesk.core.calendar_store import forget_calendar
from civicdesk.core.models import CalendarOverride, CalendarYear


@receiver([post_save, post_delete], sender=CalendarOverride)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs: object) -> None:
    # After commit: a rolled-back edit must not reach the cache.
    transaction.on_commit(forget_calendar)
