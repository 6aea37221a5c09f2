"""API tokens: hashed at rest, scoped, expiring, revocable, minted by ``careloop token``."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import ApiToken
from careloop.accounts.tokens import Scope, TokenError, authenticate_token, create_token, revoke_token
from tests.conftest import World


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_only_a_digest_is_stored(world: World) -> None:
    minted = create_token(world.alice, "ehr", [Scope.READ], days=30)
    stored = ApiToken.objects.get(pk=minted.token.pk)
    assert minted.plaintext not in {stored.digest, stored.prefix}
    assert minted.plaintext.split("_", 2)[2] not in stored.digest
    assert authenticate_token(minted.plaintext) == stored


def test_a_token_reads_what_its_user_may_read_and_nothing_more(world: World) -> None:
    token = create_token(world.alice, "ehr", [Scope.READ], days=30).plaintext
    client = Client()
    own = client.get(reverse("api:get_patient", kwargs={"patient_id": world.own_patient.pk}), headers=_bearer(token))
    other = client.get(reverse("api:get_patient", kwargs={"patient_id": world.other_team_patient.pk}),
                       headers=_bearer(token))
    assert own.status_code == 200
    assert own.json()["display_name"] == world.own_patient.display_name
    assert other.status_code == 404


def test_a_token_without_the_scope_is_refused(world: World) -> None:
    token = create_token(world.alice, "app", [Scope.PATIENT_APP], days=30).plaintext
    response = Client().get(reverse("api:list_patients"), headers=_bearer(token))
    assert response.status_code == 403
    assert "read" in response.json()["detail"]


def test_expired_revoked_and_forged_tokens_are_refused(world: World) -> None:
    minted = create_token(world.alice, "ehr", [Scope.READ], days=1)
    url = reverse("api:list_patients")
    with time_machine.travel(minted.token.expires_at + timedelta(seconds=1)):
        assert Client().get(url, headers=_bearer(minted.plaintext)).status_code == 401
    forged = minted.plaintext[:-4] + "AAAA"
    assert Client().get(url, headers=_bearer(forged)).status_code == 401
    assert revoke_token(minted.token.prefix)
    assert Client().get(url, headers=_bearer(minted.plaintext)).status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(world: World) -> None:
    minted = create_token(world.alice, "ehr", [Scope.READ], days=1)
    world.alice.is_active = False
    world.alice.save()
    assert authenticate_token(minted.plaintext) is None


@pytest.mark.parametrize(("scopes", "days"), [([], 30), (["admin"], 30), ([Scope.READ], 0), ([Scope.READ], 366)])
def test_bad_token_requests_are_refused_with_the_reason(world: World, scopes: list[str], days: int) -> None:
    with pytest.raises(TokenError):
        create_token(world.alice, "x", scopes, days)


def test_the_command_mints_lists_and_revokes(world: World) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "--user", "Alice@example.org", "--name", "EHR bridge", "--scope", "read",
                 "--days", "7", stdout=out, stderr=err)
    plaintext = out.getvalue().strip()
    assert authenticate_token(plaintext) is not None
    assert "cannot be shown again" in err.getvalue()
    listing = io.StringIO()
    call_command("token", "list", "--user", "alice@example.org", stdout=listing)
    prefix = plaintext.split("_")[1]
    assert prefix in listing.getvalue()
    assert plaintext not in listing.getvalue()
    call_command("token", "revoke", prefix, stdout=io.StringIO())
    assert authenticate_token(plaintext) is None


def test_the_command_names_what_was_wrong(world: World) -> None:
    with pytest.raises(CommandError, match="no user"):
        call_command("token", "create", "--user", "nobody@example.org", "--name", "x", "--scope", "read")
    with pytest.raises(CommandError, match="no live token"):
        call_command("token", "revoke", "deadbeef")
