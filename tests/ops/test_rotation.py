"""Key rotation and ``careloop rotate-keys``: every value moves to the newest key exactly once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings

from careloop.access.models import BreakGlassGrant
from careloop.accounts.models import Patient
from careloop.lib.keyring import DecryptionError, new_key_spec
from careloop.ops.rotation import rotate_all
from tests.conftest import World, build_world

K1, K2 = new_key_spec("k1"), new_key_spec("k2")


@pytest.fixture
def world_under_k1(db: None, settings: Settings) -> World:
    settings.CARELOOP_FIELD_KEYS = K1
    world = build_world()
    BreakGlassGrant.objects.create(user=world.bob, patient=world.own_patient, reason="covering a colleague",
                                   expires_at=timezone.now() + timedelta(hours=1))
    return world


def key_ids(table: str, column: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
        return {value.split(":")[1] for (value,) in cursor.fetchall()}


def test_it_re_encrypts_every_value_under_the_current_key(world_under_k1: World, settings: Settings) -> None:
    settings.CARELOOP_FIELD_KEYS = f"{K2},{K1}"
    counts = rotate_all()
    assert counts["accounts_patient.display_name"] == 3
    assert counts["access_breakglassgrant.reason"] == 1
    assert key_ids("accounts_patient", "display_name") == {"k2"}
    assert key_ids("access_breakglassgrant", "reason") == {"k2"}


def test_values_still_read_correctly_after_rotation_even_without_the_old_key(
    world_under_k1: World, settings: Settings
) -> None:
    settings.CARELOOP_FIELD_KEYS = f"{K2},{K1}"
    rotate_all(batch_size=2)
    settings.CARELOOP_FIELD_KEYS = K2
    assert Patient.objects.get(pk=world_under_k1.own_patient.pk).display_name == "Ownpatient Quill"
    assert BreakGlassGrant.objects.get().reason == "covering a colleague"


def test_the_command_reports_counts_and_a_second_run_re_encrypts_nothing(
    world_under_k1: World, settings: Settings
) -> None:
    settings.CARELOOP_FIELD_KEYS = f"{K2},{K1}"
    first, second = StringIO(), StringIO()
    call_command("rotate_keys", "--batch-size", "1", stdout=first)
    call_command("rotate_keys", stdout=second)
    assert "accounts_patient.display_name: 3 value(s) re-encrypted" in first.getvalue()
    assert "access_breakglassgrant.reason: 1 value(s) re-encrypted" in first.getvalue()
    assert "accounts_patient.display_name: 0 value(s) re-encrypted" in second.getvalue()
    assert "access_breakglassgrant.reason: 0 value(s) re-encrypted" in second.getvalue()


def test_it_leaves_values_alone_when_the_ring_has_not_changed(world_under_k1: World) -> None:
    # world_under_k1 wrote under K1, which the settings fixture still names as the only key.
    assert set(rotate_all().values()) == {0}


def test_it_fails_closed_when_a_value_is_under_a_key_no_longer_in_the_ring(
    world_under_k1: World, settings: Settings
) -> None:
    settings.CARELOOP_FIELD_KEYS = K2
    with pytest.raises(DecryptionError):
        rotate_all()
    assert key_ids("accounts_patient", "display_name") == {"k1"}
