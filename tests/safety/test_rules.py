"""The pure risk rules: structured answers, free text in three languages, missed check-ins."""

from __future__ import annotations

import pytest

from careloop.measures.scoring import AnswersInput, score
from careloop.safety.rules import (
    ResponseFacts,
    evaluate_response,
    evaluate_text,
    missed_check_in_hits,
    normalised,
    scan_text,
    strongest,
)
from careloop.safety.schema import Severity, crisis_lexicon, risk_rules


def facts(instrument: str, answers: AnswersInput, baseline: int | None = None) -> ResponseFacts:
    result = score(instrument, answers)
    return ResponseFacts(result.instrument_id, result.item_scores, {"total": result.total, **result.subscales},
                         result.band, baseline)


def fired(instrument: str, answers: AnswersInput, baseline: int | None = None) -> list[tuple[str, Severity]]:
    return [(h.rule_id, h.severity) for h in evaluate_response(facts(instrument, answers, baseline), risk_rules())]


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_item9_above_zero_is_amber_and_leads_to_the_cssrs(item9: int) -> None:
    hits = evaluate_response(facts("phq9", [0, 0, 0, 0, 0, 0, 0, 0, item9]), risk_rules())
    assert [(h.rule_id, h.severity, h.next_step) for h in hits] == [
        ("phq9_item9_positive", Severity.MODERATE, "cssrs_screener")]


def test_item9_zero_fires_nothing() -> None:
    assert fired("phq9", [3, 3, 3, 3, 3, 0, 0, 0, 0]) == []  # total 15: not severe, no item 9


def test_an_unanswered_item9_is_an_incomplete_screen() -> None:
    assert fired("phq9", [0, 0, 0, 0, 0, 0, 0, 0, None]) == [("phq9_item9_unanswered", Severity.LOW)]


def test_the_severe_band_fires_alongside_item9() -> None:
    assert sorted(fired("phq9", [3, 3, 3, 3, 3, 3, 1, 1, 1])) == [
        ("phq9_item9_positive", Severity.MODERATE), ("phq9_severe_band", Severity.MODERATE)]


def test_gad7_severe_band_is_yellow() -> None:
    assert fired("gad7", [3, 3, 3, 2, 2, 1, 1]) == [("gad7_severe_band", Severity.LOW)]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"1": 1, "2": 0, "6": 0}, ("cssrs_low", Severity.LOW)),  # wish to be dead only: Yellow
        ({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0}, ("cssrs_moderate", Severity.MODERATE)),  # Q2: Amber
        ({"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}, ("cssrs_moderate", Severity.MODERATE)),  # Q3: Amber
        ({"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}, ("cssrs_high", Severity.HIGH)),  # Q4 intent: Red
        ({"1": 1, "2": 1, "3": 1, "4": 0, "5": 1, "6": 0}, ("cssrs_high", Severity.HIGH)),  # Q5 plan: Red
        ({"1": 0, "2": 0, "6": 1, "6b": 1}, ("cssrs_high", Severity.HIGH)),  # behaviour in 3 months: Red
        ({"1": 0, "2": 0, "6": 1, "6b": 0}, ("cssrs_moderate", Severity.MODERATE)),  # lifetime only: Amber
        ({"1": 0, "2": 0, "6": 1}, ("cssrs_high", Severity.HIGH)),  # 6b unanswered could be Red: read as Red
    ],
)
def test_cssrs_triage_gives_one_level_per_answer(answers: dict[str, int], expected: tuple[str, Severity]) -> None:
    assert fired("cssrs_screener", answers) == [expected]


def test_cssrs_all_no_fires_nothing() -> None:
    assert fired("cssrs_screener", {"1": 0, "2": 0, "6": 0}) == []


def phq9_totalling(total: int) -> list[int]:
    """Answers with item 9 at 0 that add up to ``total`` (at most 24)."""
    return [min(3, max(0, total - 3 * n)) for n in range(8)] + [0]


@pytest.mark.parametrize(("baseline", "total", "fires"), [(5, 11, True), (5, 10, False), (None, 20, False)])
def test_reliable_deterioration_uses_the_outcome_rules_threshold(baseline: int | None, total: int, fires: bool) -> None:
    hits = [rule for rule, _ in fired("phq9", phq9_totalling(total), baseline)]
    assert ("reliable_deterioration" in hits) is fires


def test_strongest_is_the_highest_severity() -> None:
    hits = evaluate_response(facts("phq9", [0, 0, 0, 0, 0, 0, 0, 0, None]), risk_rules())
    assert strongest(hits) is Severity.LOW
    hits += evaluate_response(facts("phq9", [3, 3, 3, 3, 3, 3, 1, 1, 1]), risk_rules())
    assert strongest(hits) is Severity.MODERATE
    assert strongest([]) is None


@pytest.mark.parametrize(
    "text",
    [
        "Honestly I just want to die",
        "I've been thinking about SUICIDE a lot",
        "I feel suicidal tonight",
        "bought paracetamol and kept them",
        "I took 20 ibuprofen",
        "💊💊💊",
        "I can’t go on like this",
        "Ya no puedo más, quiero morirme",
        "He pensado en el suicidio",
        "tengo las pastillas guardadas",
        "أفكر في الانتحار",
        "أريد أن أموت",
        "عندي حبوب كثيرة",
        "وأريد ان أُنهي حياتي",
    ],
)
def test_crisis_language_is_found_in_english_spanish_and_arabic(text: str) -> None:
    hits = evaluate_text(text, risk_rules(), crisis_lexicon())
    assert [(h.rule_id, h.severity) for h in hits] == [("free_text_crisis_language", Severity.MODERATE)]


def test_the_hit_names_language_and_category_never_the_words() -> None:
    hit = evaluate_text("I have the rope ready", risk_rules(), crisis_lexicon())[0]
    assert hit.detail == "en/means"
    assert "rope" not in hit.detail


@pytest.mark.parametrize("text", ["Had a good walk with my dog", "Dinner with friends, fine", "Me siento mejor hoy"])
def test_ordinary_text_gives_no_hit_and_no_all_clear(text: str) -> None:
    assert evaluate_text(text, risk_rules(), crisis_lexicon()) == []


def test_whole_words_do_not_match_inside_other_words() -> None:
    assert scan_text("the gunnery sergeant and the bladed fan", crisis_lexicon()) == []


def test_normalisation_folds_case_accents_and_arabic_variants() -> None:
    assert normalised("  Más   DAÑO ") == "mas dano"
    assert normalised("أُنهي إيذاء") == "انهي ايذاء"


def test_a_missed_check_in_matters_only_while_a_red_or_amber_alert_is_open() -> None:
    rules = risk_rules()
    assert [h.rule_id for h in missed_check_in_hits([Severity.MODERATE], True, rules)] == [
        "missed_check_in_while_alert_open"]
    assert missed_check_in_hits([Severity.LOW], True, rules) == []
    assert missed_check_in_hits([Severity.HIGH], False, rules) == []
