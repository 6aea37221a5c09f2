"""EncryptedTextField: ciphertext at rest, bound to its column, never searchable."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.utils import timezone

from careloop.access.models import BreakGlassGrant
from careloop.accounts.models import Patient
from careloop.lib.encrypted import encrypted_fields
from careloop.lib.keyring import DecryptionError
from tests.conftest import World


def raw_value(table: str, column: str, pk: str | int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        value: str = cursor.fetchone()[0]
    return value


def set_raw_value(table: str, column: str, pk: str | int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


def open_grant(world: World, reason: str) -> BreakGlassGrant:
    return BreakGlassGrant.objects.create(user=world.bob, patient=world.own_patient, reason=reason,
                                          expires_at=timezone.now() + timedelta(hours=1))


def test_it_stores_ciphertext_and_reads_back_plaintext(world: World) -> None:
    stored = raw_value("accounts_patient", "display_name", world.own_patient.pk.hex)
    assert stored.startswith("v1:dev1:")
    assert "Quill" not in stored
    assert Patient.objects.get(pk=world.own_patient.pk).display_name == "Ownpatient Quill"


def test_it_round_trips_non_latin_text(world: World) -> None:
    grant = open_grant(world, "طوارئ — crisis call 🚑")
    assert "crisis" not in raw_value("access_breakglassgrant", "reason", grant.pk)
    assert BreakGlassGrant.objects.get(pk=grant.pk).reason == "طوارئ — crisis call 🚑"


def test_it_fails_closed_on_a_tampered_value(world: World) -> None:
    pk = world.own_patient.pk.hex
    version, kid, token = raw_value("accounts_patient", "display_name", pk).split(":")
    sealed = bytearray(base64.b64decode(token))
    sealed[20] ^= 0x01  # one bit of the ciphertext, after the 12-byte nonce
    set_raw_value("accounts_patient", "display_name", pk, f"{version}:{kid}:{base64.b64encode(sealed).decode()}")
    with pytest.raises(DecryptionError):
        Patient.objects.get(pk=world.own_patient.pk)


def test_it_fails_closed_on_a_plaintext_value_written_behind_its_back(world: World) -> None:
    set_raw_value("accounts_patient", "display_name", world.own_patient.pk.hex, "Ownpatient Quill")
    with pytest.raises(DecryptionError):
        Patient.objects.get(pk=world.own_patient.pk)


def test_ciphertext_copied_to_another_column_does_not_decrypt(world: World) -> None:
    grant = open_grant(world, "covering a colleague")
    name_ciphertext = raw_value("accounts_patient", "display_name", world.own_patient.pk.hex)
    set_raw_value("access_breakglassgrant", "reason", grant.pk, name_ciphertext)
    with pytest.raises(DecryptionError):
        BreakGlassGrant.objects.get(pk=grant.pk)


@pytest.mark.parametrize("lookup", ["", "__exact", "__iexact", "__icontains", "__startswith", "__in"])
def test_it_refuses_to_be_searched(world: World, lookup: str) -> None:
    value: object = ["Ownpatient Quill"] if lookup == "__in" else "Ownpatient Quill"
    with pytest.raises(FieldError, match="display_name is encrypted"):
        Patient.objects.filter(**{f"display_name{lookup}": value})


def test_it_can_be_filtered_on_null(world: World) -> None:
    assert Patient.objects.filter(display_name__isnull=True).count() == 0
    assert Patient.objects.filter(display_name__isnull=False).count() == 3


def test_every_encrypted_column_is_found_for_rotation() -> None:
    assert {field.associated_data() for field in encrypted_fields()} >= {
        "accounts_patient.display_name", "access_breakglassgrant.reason"}
