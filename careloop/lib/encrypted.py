"""A model field that stores text encrypted with AES-GCM under the settings' key ring.

The associated data is ``<db_table>.<column>``, so ciphertext moved between columns or tables
fails to decrypt. The field refuses every lookup except ``isnull``: encrypted values cannot be
searched, and a silent never-matching filter would be a bug waiting to happen.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression

from careloop.lib.keyring import KeyRing, key_ring_from_spec


def active_key_ring() -> KeyRing:
    """Return the key ring configured in settings (read at call time, never at import)."""
    return key_ring_from_spec(settings.CARELOOP_FIELD_KEYS)


class EncryptedTextField(models.TextField[str, str]):
    """Free text or a direct identifier, encrypted at rest."""

    def associated_data(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return active_key_ring().encrypt(str(value), self.associated_data())

    def from_db_value(self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper) -> str | None:
        if value is None:
            return None
        return active_key_ring().decrypt(value, self.associated_data())

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(f"{self.name} is encrypted and cannot be searched with '{lookup_name}'")

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(f"{self.name} is encrypted and cannot be transformed with '{lookup_name}'")


def encrypted_fields() -> list[EncryptedTextField]:
    """Every EncryptedTextField on every installed model (for key rotation)."""
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField)
    ]
