"""Administrators reset a staff member's second factors from the staff list (lost phone)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.services import security_log, two_factor_reset


@admin.action(description=_("Reset two-factor sign-in (lost phone: enrol again)"))
def reset_two_factor(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    for user in queryset:
        removed = two_factor_reset(user)
        # The admin's history of this user (LogEntry) and the security log both keep it.
        modeladmin.log_change(
            request,
            user,
            gettext("Two-factor sign-in reset: %(count)d devices removed.") % {"count": removed},
        )
        security_log.warning(
            "two-factor: %s reset the devices of %s (%d removed)",
            request.user.get_username(),
            user.get_username(),
            removed,
        )
    modeladmin.message_user(
        request,
        ngettext(
            "Two-factor sign-in reset for %(count)d staff member: "
            "they enrol again at their next sign-in.",
            "Two-factor sign-in reset for %(count)d staff members: "
            "they enrol again at their next sign-in.",
            len(queryset),
        )
        % {"count": len(queryset)},
        messages.SUCCESS,
    )
