"""Domain errors. Services raise these; the API and the web pages turn them into answers.

Each carries a stable machine code (the API's `code`) and a translated message for people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Bad input: `errors` maps each field name to the problems found with it."""

    code = "invalid"
    http_status = 422

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        super().__init__(message or _("The request has invalid fields."))
        self.errors = {
            field: [str(problem) for problem in problems] for field, problems in errors.items()
        }

    @classmethod
    def single(cls, field: str, problem: str) -> ValidationFailed:
        return cls({field: [problem]})


class NotFound(DomainError):
    """Missing, or outside the caller's scope: the two are never told apart."""

    code = "not_found"
    http_status = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Not found."))


class IllegalTransition(DomainError):
    code = "illegal_transition"
    http_status = 409


class Conflict(DomainError):
    """Somebody else changed the record first; nothing of this request was written."""

    code = "conflict"
    http_status = 409

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or _("Someone else changed this case at the same time. Reload and try again.")
        )


class PermissionDenied(DomainError):
    """The caller can see the case but their roles do not allow this action."""

    code = "forbidden"
    http_status = 403
