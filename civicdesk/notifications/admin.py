"""The outbox for administrators: read only, recipients masked, failed messages sent again
through the service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from civicdesk.core.admin import ReadOnlyAdminMixin
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.services import outbox_retry

# `recipient` itself is never shown: the masked form is enough to answer a resident. Nor are the
# subject and text: they carry the case's content, which an administrator configures around but
# does not read (separation of duties, docs/permissions.md); case staff read them on the case
# page's messages card.
_SHOWN = [
    "receipt_code",
    "kind",
    "channel",
    "masked_recipient_display",
    "language",
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "created_at",
    "error_display_field",
]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "receipt_code",
        "kind",
        "channel",
        "masked_recipient_display",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind", "channel"]
    list_select_related = ["case"]
    search_fields = ["case__receipt_code"]
    date_hierarchy = "created_at"
    fields = tuple(_SHOWN)
    readonly_fields = _SHOWN
    actions = ["send_again"]

    @admin.display(description=_("receipt code"), ordering="case__receipt_code")
    def receipt_code(self, message: OutboxMessage) -> str:
        return message.case.receipt_code

    @admin.display(description=_("recipient"))
    def masked_recipient_display(self, message: OutboxMessage) -> str:
        return message.masked_recipient

    @admin.display(description=_("last error"))
    def error_display_field(self, message: OutboxMessage) -> str:
        return message.error_display


    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.retry_outboxmessage")

    @admin.action(
        description=_("Send the selected failed messages again now"), permissions=["retry"]
    )
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        chosen = list(queryset.values_list("pk", flat=True))
        count = outbox_retry(actor=request.user, message_ids=chosen)
        skipped = len(chosen) - count
        self.message_user(
            request,
            ngettext(
                "{n} message will be sent again.", "{n} messages will be sent again.", count
            ).format(n=count),
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "{n} message was not failed and is left as it is.",
                    "{n} messages were not failed and are left as they are.",
                    skipped,
                ).format(n=skipped),
                messages.WARNING,
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        return super().get_queryset(request).select_related("case")
