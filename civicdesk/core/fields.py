"""Model fields for personal data: encrypted at rest, plain strings to everyone above the ORM
(services, templates, serializers). See civicdesk/core/crypto.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

from civicdesk.core import crypto


class BlankOnlyExact(Exact):
    """`phone=""` still works (blank is stored blank); `phone="138..."` would compare against
    a fresh random ciphertext and silently find nothing, so it is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: look values up through its blind index."
            )
        return super().get_prep_lookup()


class EncryptedFieldMixin:
    """Encrypts in get_prep_value, decrypts in from_db_value. The column is text (a ciphertext
    is longer than its value); max_length still bounds the plain value (validation, forms)."""

    model: Any
    column: str

    def get_internal_type(self) -> str:
        return "TextField"

    def _where(self) -> tuple[str, str]:
        return self.model._meta.db_table, self.column

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)  # type: ignore[misc]
        if value is None or value == "":
            return value
        table, column = self._where()
        return crypto.encrypt(str(value), table=table, column=column)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        table, column = self._where()
        return crypto.decrypt(value, table=table, column=column)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return BlankOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None


class EncryptedCharField(EncryptedFieldMixin, models.CharField):  # type: ignore[misc]
    pass


class EncryptedEmailField(EncryptedFieldMixin, models.EmailField):  # type: ignore[misc]
    pass


class BlindIndexField(models.CharField):
    """The HMAC of another field's (normalised) value, recomputed whenever the row is written
    (save and bulk_create both call pre_save), so exact look-ups need no decryption."""

    def __init__(
        self,
        *args: Any,
        source: str = "",
        purpose: str = "",
        normalise: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.purpose = purpose or source
        self.normalise = normalise
        kwargs.setdefault("max_length", crypto.INDEX_HEX_LENGTH)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["purpose"] = self.purpose
        if self.normalise is not None:
            kwargs["normalise"] = self.normalise
        for key, value in (("max_length", crypto.INDEX_HEX_LENGTH), ("blank", True)):
            if kwargs.get(key) == value:
                del kwargs[key]
        kwargs.pop("editable", None)
        if kwargs.get("default") == "":
            del kwargs["default"]
        return name, path, args, kwargs

    def index_of(self, value: str) -> str:
        if self.normalise is not None:
            value = self.normalise(value)
        return crypto.blind_index(value, purpose=self.purpose)

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        index = self.index_of(str(getattr(model_instance, self.source) or ""))
        setattr(model_instance, self.attname, index)
        return index
