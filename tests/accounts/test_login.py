"""Log-in end to end: patients, staff MFA enrolment and challenge, lock-out, session lifetime."""

from __future__ import annotations

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import LazySettings
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from careloop.demo.totp import current_code
from tests.conftest import PASSWORD, World

LOGIN = "/accounts/login/"


def _post_login(client: Client, email: str, password: str = PASSWORD) -> str:
    response = client.post(LOGIN, {"login": email, "password": password})
    return response.headers.get("Location", str(response.status_code))


def test_a_patient_logs_in_with_a_password_and_sees_their_own_page(world: World) -> None:
    client = Client()
    assert _post_login(client, "pat@example.org") == "/"
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("patient:overview")
    assert world.own_patient.display_name in response.content.decode()


def test_a_clinician_without_mfa_is_sent_to_enrol_before_any_patient_data(world: World) -> None:
    client = Client()
    _post_login(client, "alice@example.org")
    response = client.get(reverse("care:patient_list"))
    assert response.headers["Location"] == reverse("mfa_activate_totp")
    api = client.get(reverse("api:list_patients"))
    assert api.status_code == 403
    assert world.own_patient.display_name not in api.content.decode()


def test_enrolling_totp_with_a_valid_code_completes_mfa_for_the_session(world: World) -> None:
    client = Client()
    _post_login(client, "alice@example.org")
    # allauth asks for the password again before any change to the account's factors.
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    page = client.get(reverse("care:patient_list"))
    assert page.status_code == 200
    assert world.own_patient.display_name in page.content.decode()


def test_a_clinician_with_totp_must_pass_the_challenge(world: World) -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(world.alice, secret)
    client = Client()
    assert _post_login(client, "alice@example.org") == reverse("mfa_authenticate")
    assert client.get(reverse("care:patient_list")).headers["Location"].startswith(LOGIN)
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200  # the form again, with an error
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.get(reverse("care:patient_list")).status_code == 200


def test_repeated_failed_logins_lock_the_account_even_with_the_right_password(
    world: World, settings: LazySettings
) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"login": "pat@example.org", "password": "wrong password"})
    locked = client.post(LOGIN, {"login": "pat@example.org", "password": PASSWORD})
    assert locked.status_code == 429
    assert "locked" in locked.content.decode().lower()
    assert client.get(reverse("patient:overview")).headers["Location"].startswith(LOGIN)
    other = Client()
    assert _post_login(other, "PAT@example.org") not in {"/", reverse("patient:overview")}


def test_a_lock_out_on_one_account_leaves_others_alone(world: World, settings: LazySettings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"login": "alice@example.org", "password": "wrong password"})
    assert _post_login(Client(), "pat@example.org") == "/"


def test_a_session_ends_at_its_absolute_lifetime_however_active(world: World, settings: LazySettings) -> None:
    client = Client()
    with time_machine.travel("2026-11-22 09:00Z", tick=False) as clock:
        _post_login(client, "pat@example.org")
        assert client.get(reverse("patient:overview")).status_code == 200
        step = settings.SESSION_IDLE_SECONDS - 60  # always active before the idle timeout
        for _ in range(settings.SESSION_ABSOLUTE_SECONDS // step):
            clock.shift(step)
            assert client.get(reverse("patient:overview")).status_code == 200
        clock.shift(step)
        assert client.get(reverse("patient:overview")).headers["Location"].startswith(LOGIN)


def test_an_idle_session_expires(world: World, settings: LazySettings) -> None:
    client = Client()
    with time_machine.travel("2026-11-22 09:00Z", tick=False) as clock:
        _post_login(client, "pat@example.org")
        clock.shift(settings.SESSION_IDLE_SECONDS + 1)
        assert client.get(reverse("patient:overview")).headers["Location"].startswith(LOGIN)


def test_passwords_are_hashed_with_argon2(settings: LazySettings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert make_password("a password").startswith("argon2$argon2id$")


def test_open_sign_up_is_closed(db: None) -> None:
    response = Client().post("/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD * 2,
                                                   "password2": PASSWORD * 2})
    assert b"closed" in response.content.lower() or response.status_code in {403, 404}
    from careloop.accounts.models import User
    assert not User.objects.filter(email="new@example.org").exists()


@pytest.mark.parametrize("path", ["/care/patients/", "/me/", "/audit/"])
def test_anonymous_visitors_are_sent_to_log_in(db: None, path: str) -> None:
    assert Client().get(path).headers["Location"].startswith(LOGIN)


def test_a_session_that_skipped_the_challenge_is_ended(world: World) -> None:
    with time_machine.travel("2026-11-20 09:00Z"):
        TOTP.activate(world.alice, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(world.alice, backend="allauth.account.auth_backends.AuthenticationBackend")
    response = client.get(reverse("care:patient_list"))
    assert response.headers["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session


def test_lock_out_logs_name_no_e_mail_address(
    world: World, settings: LazySettings, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    with caplog.at_level("INFO"):
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            client.post(LOGIN, {"login": "pat@example.org", "password": "wrong password"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "AXES" in text
    assert "pat@example.org" not in text
    assert "account:" in text
