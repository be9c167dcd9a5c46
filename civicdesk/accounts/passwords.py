"""Password rules for 等保2.0 level 3: at least 10 characters of at least three kinds."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with our own wording: Django 5.2 changed its message, and its Chinese
    catalogue does not translate the new one yet."""

    def __init__(self, min_length: int = 10) -> None:
        super().__init__(min_length)

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it needs at least %(min_length)d character.",
            "This password is too short: it needs at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must be at least %(min_length)d character long.",
            "Your password must be at least %(min_length)d characters long.",
            self.min_length,
        ) % {"min_length": self.min_length}


def _character_classes(password: str) -> int:
    kinds = {
        "lower": any(c.islower() for c in password),
        "upper": any(c.isupper() for c in password),
        "digit": any(c.isdigit() for c in password),
        # Punctuation, spaces and characters without case (汉字) all count as "symbols".
        "symbol": any(not (c.islower() or c.isupper() or c.isdigit()) for c in password),
    }
    return sum(kinds.values())


class CharacterClassesValidator:
    """At least `min_classes` of: lowercase letters, uppercase letters, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        if not 1 <= min_classes <= 4:
            raise ValueError("min_classes must be between 1 and 4")
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if _character_classes(password) < self.min_classes:
            raise ValidationError(
                ngettext(
                    "This password needs characters of at least %(min_classes)d kind: "
                    "lowercase letters, uppercase letters, digits, symbols.",
                    "This password needs characters of at least %(min_classes)d kinds: "
                    "lowercase letters, uppercase letters, digits, symbols.",
                    self.min_classes,
                ),
                code="password_too_few_character_kinds",
                params={"min_classes": self.min_classes},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must mix characters of at least %(min_classes)d kind: "
            "lowercase letters, uppercase letters, digits, symbols.",
            "Your password must mix characters of at least %(min_classes)d kinds: "
            "lowercase letters, uppercase letters, digits, symbols.",
            self.min_classes,
        ) % {"min_classes": self.min_classes}
