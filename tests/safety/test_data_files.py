"""The safety data files: every rule and number has a source; stale crisis numbers raise careloop.safety.W001."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import checks
from django.utils import timezone
from pydantic import ValidationError

from careloop.safety.directory import contacts_for, stale_entries
from careloop.safety.schema import (
    LANGUAGES,
    CrisisDirectory,
    RuleSet,
    crisis_directory,
    crisis_lexicon,
    default_escalation,
    risk_rules,
)


def test_every_rule_has_an_id_a_version_a_severity_and_a_source() -> None:
    rules = risk_rules().rules
    assert {rule.kind for rule in rules} == {"condition", "band", "reliable_deterioration", "free_text",
                                             "missed_check_in"}
    for rule in rules:
        assert rule.version.count(".") == 2
        assert rule.severity
        assert len(rule.source) > 20


def test_every_patient_message_exists_in_english_spanish_and_arabic() -> None:
    for texts in risk_rules().messages.values():
        assert set(LANGUAGES) <= set(texts)


def test_the_lexicon_has_means_words_in_every_language() -> None:
    for language in LANGUAGES:
        assert crisis_lexicon().terms[language]["means"]


def test_a_rule_naming_an_unknown_band_is_refused() -> None:
    raw = risk_rules().model_dump(mode="json")
    raw["rules"] = [{**raw["rules"][7], "bands": ["catastrophic"]}]
    with pytest.raises(ValidationError, match="catastrophic"):
        RuleSet.model_validate(raw)


def test_the_escalation_defaults_follow_the_reference_timers() -> None:
    high = default_escalation().severities["high"]  # type: ignore[index]
    assert [rung.after.minutes for rung in high.rungs] == [0, 15, 30, 60]
    assert high.ceiling.minutes == 12 * 60


@pytest.mark.parametrize("country", ["GB", "US", "ES", "AE"])
def test_every_required_country_has_a_sourced_emergency_number(country: str) -> None:
    contacts = contacts_for(country, "en")
    assert any(contact.kind == "emergency" for contact in contacts)
    for contact in contacts:
        assert contact.source
        assert contact.last_verified
        assert contact.verified_how


def test_us_numbers_are_the_ones_the_reference_verified() -> None:
    assert [(c.name, c.call, c.text) for c in contacts_for("US", "en")] == [
        ("988 Suicide & Crisis Lifeline", "988", "988"), ("Crisis Text Line", None, "741741"),
        ("Emergency services", "911", None)]


def test_the_patients_language_comes_first_and_an_unknown_country_gets_nothing_invented() -> None:
    assert next(c.call for c in contacts_for("CA", "fr")) == "988"
    assert contacts_for("ZZ", "en") == ()


def test_a_country_without_an_emergency_number_is_refused() -> None:
    raw = crisis_directory().model_dump(mode="json")
    raw["countries"]["GB"]["resources"] = raw["countries"]["GB"]["resources"][:1]
    with pytest.raises(ValidationError, match="emergency"):
        CrisisDirectory.model_validate(raw)


def _safety_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks(tags=["careloop_safety"]) if m.id and m.id.startswith("careloop.safety")]


def test_the_system_check_is_quiet_while_every_entry_is_fresh() -> None:
    assert stale_entries(timezone.localdate()) == []
    assert _safety_messages() == []


def test_the_system_check_warns_about_an_entry_older_than_90_days() -> None:
    oldest = min(c.last_verified for country in crisis_directory().countries.values() for c in country.resources)
    with time_machine.travel(oldest + timedelta(days=91), tick=False):
        warnings = _safety_messages()
    assert warnings
    assert {w.id for w in warnings} == {"careloop.safety.W001"}
    assert any("GB/gb_samaritans" in w.msg for w in warnings)
    with time_machine.travel(oldest + timedelta(days=90), tick=False):
        assert _safety_messages() == []
