"""Notification channels: pluggable backends that record or raise, never swallow."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import LazySettings

from careloop.accounts.models import User
from careloop.safety.notify import (
    ConsolePushBackend,
    ConsoleSmsBackend,
    PushSender,
    Recipient,
    SmsSender,
    alert_message,
    configured_senders,
)


def test_file_backends_write_one_json_line_per_message(settings: LazySettings, tmp_path: Path) -> None:
    settings.CARELOOP_SAFETY_OUTBOX = tmp_path
    settings.CARELOOP_SAFETY_SMS_BACKEND = "careloop.safety.notify.FileSmsBackend"
    settings.CARELOOP_SAFETY_PUSH_BACKEND = "careloop.safety.notify.FilePushBackend"
    message = alert_message("Red", runbook=True)
    SmsSender().send(Recipient("on_call", phone="+447700900123"), message)
    PushSender().send(Recipient("primary", user=User(pk=7, email="x@example.org")), message)
    sms = json.loads((tmp_path / "sms.jsonl").read_text())
    push = json.loads((tmp_path / "push.jsonl").read_text())
    assert (sms["to"], sms["body"]) == ("+447700900123", "Careloop: a Red safety alert needs acknowledging")
    assert (push["user_id"], "runbook" in push["body"]) == (7, True)


def test_console_backends_print_no_number_and_no_content() -> None:
    stream = io.StringIO()
    ConsoleSmsBackend(stream).send_sms("+447700900123", "secret")
    ConsolePushBackend(stream).push(3, "title", "secret")
    assert "+44" not in stream.getvalue()
    assert "secret" not in stream.getvalue()


def test_a_channel_only_reaches_recipients_it_has_an_address_for() -> None:
    phone, person = Recipient("on_call", phone="+1"), Recipient("primary", user=User(pk=1, email="a@example.org"))
    assert SmsSender(ConsoleSmsBackend(io.StringIO())).reaches(phone)
    assert not SmsSender(ConsoleSmsBackend(io.StringIO())).reaches(person)
    assert (phone.key, person.key, Recipient("backup").key) == ("phone:on_call", "user:1", "none:backup")


def test_channels_are_chosen_in_settings(settings: LazySettings) -> None:
    settings.CARELOOP_SAFETY_CHANNELS = ["email", "push"]
    assert [sender.channel for sender in configured_senders()] == ["email", "push"]
    settings.CARELOOP_SAFETY_CHANNELS = ["pager"]
    with pytest.raises(KeyError):
        configured_senders()
