"""Scoring: every instrument at every band and caseness boundary (expected values typed in from the
reference, not read back from the data files), missing and invalid answers, and each special rule."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from careloop.measures.instrument_schema import Instrument
from careloop.measures.instruments_registry import UnknownInstrumentError, find_instrument
from careloop.measures.scoring import ScoringInputError, score


def answers_for_total(instrument: Instrument, total: int) -> list[int]:
    """Responses to the scored items, in order, whose item scores sum to `total` (fills early items first)."""
    low, high = instrument.total_range
    assert low <= total <= high
    remaining, responses = total - low, []
    for item in instrument.scored_items:
        scores = instrument.possible_item_scores(item)
        item_score = min(scores[-1], scores[0] + remaining)
        remaining -= item_score - scores[0]
        values = instrument.answer_set(item).values
        responses.append(min(values) + max(values) - item_score if item.reverse else item_score)
    return responses


BANDS = {
    "PHQ-9": [(0, "none_minimal"), (4, "none_minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
              (14, "moderate"), (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe")],
    "PHQ-8": [(0, "none_minimal"), (4, "none_minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
              (14, "moderate"), (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (24, "severe")],
    "GAD-7": [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
              (15, "severe"), (21, "severe")],
    "ISI": [(0, "no_clinically_significant_insomnia"), (7, "no_clinically_significant_insomnia"),
            (8, "subthreshold_insomnia"), (14, "subthreshold_insomnia"), (15, "clinical_insomnia_moderate"),
            (21, "clinical_insomnia_moderate"), (22, "clinical_insomnia_severe"), (28, "clinical_insomnia_severe")],
    "PSS-10": [(0, "low"), (13, "low"), (14, "moderate"), (26, "moderate"), (27, "high"), (40, "high")],
    "K10": [(10, "low"), (15, "low"), (16, "moderate"), (21, "moderate"), (22, "high"), (29, "high"),
            (30, "very_high"), (50, "very_high")],
}
K10_CRUFAD = [(10, "likely_well"), (19, "likely_well"), (20, "mild"), (24, "mild"), (25, "moderate"),
              (29, "moderate"), (30, "severe"), (50, "severe")]
CASENESS: list[tuple[str, dict[str, str], int, bool]] = [
    ("PHQ-9", {}, 9, False), ("PHQ-9", {}, 10, True),
    ("PHQ-8", {}, 9, False), ("PHQ-8", {}, 10, True),
    ("PHQ-2", {}, 2, False), ("PHQ-2", {}, 3, True),
    ("GAD-2", {}, 2, False), ("GAD-2", {}, 3, True),
    ("GAD-7", {}, 7, False), ("GAD-7", {}, 8, True),
    ("GAD-7", {"caseness_rule": "screening"}, 9, False), ("GAD-7", {"caseness_rule": "screening"}, 10, True),
    ("WHO-5", {}, 12, True), ("WHO-5", {}, 13, False),
    ("PCL-5", {}, 32, False), ("PCL-5", {}, 33, True),
    ("ISI", {}, 9, False), ("ISI", {}, 10, True),
    ("AUDIT-C", {"sex": "female"}, 2, False), ("AUDIT-C", {"sex": "female"}, 3, True),
    ("AUDIT-C", {"sex": "male"}, 3, False), ("AUDIT-C", {"sex": "male"}, 4, True),
    ("AUDIT-C", {}, 2, False), ("AUDIT-C", {}, 3, True),
    ("EPDS", {}, 9, False), ("EPDS", {}, 10, True),
    ("EPDS", {"cutoff": "11"}, 10, False), ("EPDS", {"cutoff": "11"}, 11, True),
    ("EPDS", {"cutoff": "13"}, 12, False), ("EPDS", {"cutoff": "13"}, 13, True),
]


@pytest.mark.parametrize(("name", "total", "band"), [(n, t, b) for n, rows in BANDS.items() for t, b in rows])
def test_it_bands_every_boundary(name: str, total: int, band: str) -> None:
    result = score(name, answers_for_total(find_instrument(name), total))
    assert (result.total, result.band, result.complete) == (total, band, True)


@pytest.mark.parametrize(("total", "band"), K10_CRUFAD)
def test_it_bands_k10_on_the_crufad_scheme(total: int, band: str) -> None:
    assert score("K10", answers_for_total(find_instrument("K10"), total), band_scheme="crufad").band == band


@pytest.mark.parametrize(("name", "params", "total", "case"), CASENESS)
def test_it_decides_caseness_at_every_cut_off(name: str, params: Mapping[str, str], total: int, case: bool) -> None:
    result = score(name, answers_for_total(find_instrument(name), total), **params)
    assert (result.total, result.caseness) == (total, case)


def test_it_keeps_severity_and_caseness_apart_for_gad7() -> None:
    result = score("GAD-7", [2, 2, 2, 2, 0, 0, 0])
    assert (result.total, result.band, result.caseness) == (8, "mild", True)


@pytest.mark.parametrize("name", ["K10", "PSS-10", "mood"])
def test_it_reports_no_caseness_where_none_is_published(name: str) -> None:
    instrument = find_instrument(name)
    answers = answers_for_total(instrument, instrument.total_range[1]) if instrument.total else [5, 5, 5, 5]
    assert score(instrument, answers).caseness is None


def test_it_flags_phq9_item_9_whatever_the_total() -> None:
    result = score("PHQ-9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert (result.total, result.band, result.caseness) == (1, "none_minimal", False)
    assert "self_harm_thoughts" in result.flags
    assert "self_harm_thoughts" in result.risk_flags


def test_it_never_reads_an_unanswered_item_9_as_zero() -> None:
    result = score("PHQ-9", [3, 3, 3, 3, 3, 3, 3, 3, None])
    assert result.item_scores["9"] is None
    assert result.total is None
    assert result.total_missing_reason is not None
    assert "item(s) 9 unanswered" in result.total_missing_reason
    assert result.flags == ("incomplete_risk_screen", "incomplete")
    assert result.risk_flags == ("incomplete_risk_screen",)
    assert (result.band, result.caseness, result.complete, result.missing_items) == (None, None, False, ("9",))


def test_it_flags_item_9_even_when_other_items_are_missing() -> None:
    result = score("PHQ-9", [None, 0, 0, 0, 0, 0, 0, 0, 2])
    assert result.total is None
    assert result.flags == ("self_harm_thoughts", "incomplete")


def test_it_does_not_count_the_phq9_difficulty_item() -> None:
    without = score("PHQ-9", [1] * 9)
    with_difficulty = score("PHQ-9", [*[1] * 9, 3])
    assert without.total == with_difficulty.total == 9
    assert without.complete
    assert with_difficulty.complete


def test_it_never_prorates() -> None:
    for name in ("PHQ-9", "GAD-7", "PCL-5", "ISI", "EPDS", "WHO-5", "K10", "PSS-10"):
        instrument = find_instrument(name)
        answers: list[int | None] = list(answers_for_total(instrument, instrument.total_range[1]))
        answers[1] = None
        result = score(instrument, answers)
        assert result.total is None, name
        assert result.total_missing_reason == (
            f"no total: item(s) 2 unanswered, and {instrument.name} has no published prorating rule")


def test_it_reverse_scores_pss10() -> None:
    assert score("PSS-10", [0] * 10).total == 16  # "Never" everywhere is not zero
    assert score("PSS-10", [4] * 10).total == 24
    assert score("PSS-10", [0, 0, 0, 4, 4, 0, 4, 4, 0, 0]).total == 0


def test_it_reverse_scores_epds_and_flags_item_10() -> None:
    assert score("EPDS", [0] * 10).total == 21  # top options: items 3 and 5-10 score 3
    never = score("EPDS", [0, 0, 3, 0, 3, 3, 3, 3, 3, 3])
    assert (never.total, never.flags) == (0, ())
    hardly_ever = score("EPDS", [0, 0, 3, 0, 3, 3, 3, 3, 3, 2])
    assert (hardly_ever.item_scores["10"], hardly_ever.flags) == (1, ("self_harm_thoughts",))
    missing = score("EPDS", [0, 0, 3, 0, 3, 3, 3, 3, 3, None])
    assert missing.flags == ("incomplete_risk_screen", "incomplete")


def test_it_scores_the_epds_anxiety_subscale() -> None:
    result = score("EPDS", [0, 0, 1, 3, 1, 3, 3, 3, 3, 3])  # items 3, 4, 5 score 2, 3, 2
    assert result.subscales == {"anxiety_3a": 7}
    assert "epds_3a_anxiety" in result.flags
    assert "possible_depression" not in result.flags


def test_it_gives_the_who5_percentage_and_flags() -> None:
    result = score("WHO-5", [3, 3, 3, 2, 2])
    assert (result.total, result.derived["percentage"], result.caseness) == (13, 52, False)
    low = score("WHO-5", [1, 2, 2, 1, 1])
    assert (low.total, low.derived["percentage"]) == (7, 28)
    assert low.caseness is True
    assert {"likely_depression", "any_item_le_1"} <= set(low.flags)
    assert "likely_depression" not in score("WHO-5", [2, 2, 2, 1, 1]).flags


def test_it_reports_the_pcl5_clusters_and_the_dsm5_rule() -> None:
    # Rule met at a total of only 12: one B, one C, two D and two E items at "Moderately".
    low = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]
    result = score("PCL-5", low)
    assert (result.total, result.derived["dsm5_cluster_rule"], result.caseness) == (12, True, False)
    assert result.subscales == {"cluster_b": 2, "cluster_c": 2, "cluster_d": 4, "cluster_e": 4}
    # A total of 44 that fails it: no E symptom.
    high = [4] * 5 + [4] * 2 + [4] * 4 + [0] * 3 + [0] * 6
    failed = score("PCL-5", high)
    assert (failed.total, failed.derived["dsm5_cluster_rule"], failed.caseness) == (44, False, True)


def test_it_decides_the_pcl5_rule_despite_missing_items_when_it_can() -> None:
    met = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, None]
    assert score("PCL-5", met).derived["dsm5_cluster_rule"] is True
    open_question = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, None]
    assert score("PCL-5", open_question).derived["dsm5_cluster_rule"] is None
    impossible = [0, 0, 0, 0, 0, None, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]
    assert score("PCL-5", impossible).derived["dsm5_cluster_rule"] is False


def test_it_flags_the_lower_pcl5_cut_point() -> None:
    pcl5 = find_instrument("PCL-5")
    assert "probable_ptsd_lower_cut_point" not in score(pcl5, answers_for_total(pcl5, 30)).flags
    at_31 = score(pcl5, answers_for_total(pcl5, 31))
    assert ("probable_ptsd_lower_cut_point" in at_31.flags, at_31.caseness) == (True, False)


def test_it_applies_the_audit_c_skip_rule() -> None:
    never = score("AUDIT-C", [0, None, None])
    assert (never.total, never.complete, never.skipped_items) == (0, True, ("2", "3"))
    # An answer given despite the skip is what was said: it is kept, never zeroed.
    assert score("AUDIT-C", [0, 2, None]).total == 2
    unknown_frequency = score("AUDIT-C", [None, None, None])
    assert (unknown_frequency.total, unknown_frequency.complete) == (None, False)


def test_it_flags_audit_c_points_from_frequency_only() -> None:
    assert "all_points_from_frequency" in score("AUDIT-C", [4, 0, 0]).flags
    assert "all_points_from_frequency" not in score("AUDIT-C", [4, 1, 0]).flags


def test_it_applies_the_k10_skip_rules() -> None:
    result = score("K10", [1, 1, None, 1, 1, None, 1, 1, 1, 1])
    assert (result.total, result.complete, result.skipped_items) == (10, True, ("3", "6"))
    assert score("K10", [1, 2, None, 1, 1, 1, 1, 1, 1, 1]).total is None


C_SSRS = [
    # Q1, Q2, Q3, Q4, Q5, Q6, Q6b -> level
    ([0, 0, None, None, None, 0, None], "none"),
    ([1, 0, None, None, None, 0, None], "low"),
    ([1, 1, 0, 0, 0, 0, None], "low"),
    ([1, 1, 1, 0, 0, 0, None], "moderate"),
    ([1, 1, 0, 1, 0, 0, None], "high"),
    ([1, 1, 0, 0, 1, 0, None], "high"),
    ([0, 0, None, None, None, 1, 1], "high"),
    ([0, 0, None, None, None, 1, 0], "moderate"),
]


@pytest.mark.parametrize(("answers", "level"), C_SSRS)
def test_it_triages_the_cssrs(answers: list[int | None], level: str) -> None:
    result = score("C-SSRS", answers)
    assert (result.band, result.derived["risk_level"], result.complete, result.total) == (level, level, True, None)
    assert result.caseness is (level != "none")
    assert ("suicide_risk_screen_positive" in result.risk_flags) is (level != "none")


@pytest.mark.parametrize(
    ("answers", "possible"),
    [
        ([1, 1, None, None, None, 0, None], ("high", "moderate", "low")),
        ([0, 0, None, None, None, 1, None], ("high", "moderate")),
        ([None, 0, None, None, None, 0, None], ("low", "none")),
        ([0, None, None, None, None, 0, None], ("high", "moderate", "low", "none")),
    ],
)
def test_it_never_lowers_an_undecided_cssrs_level(answers: list[int | None], possible: tuple[str, ...]) -> None:
    result = score("C-SSRS", answers)
    assert (result.band, result.derived["risk_level"]) == (None, None)
    assert result.derived["risk_level_possible"] == possible
    assert "requires_clinician_review" in result.risk_flags
    assert not result.complete


def test_it_marks_an_unfinished_negative_cssrs_as_incomplete() -> None:
    result = score("C-SSRS", [0, None, None, None, None, 0, None])
    assert result.caseness is None
    assert {"incomplete_risk_screen", "requires_clinician_review", "incomplete"} <= set(result.flags)


def test_it_keeps_the_mood_check_in_item_by_item() -> None:
    result = score("daily mood", [7, 3, 6, 5])
    assert (result.total, result.band, result.caseness, result.complete) == (None, None, None, True)
    assert result.item_scores == {"mood": 7, "anxiety": 3, "sleep_quality": 6, "energy": 5}


def test_it_accepts_answers_by_item_id() -> None:
    result = score("GAD-2", {"1": 2, "2": 1})
    assert (result.total, result.caseness) == (3, True)
    assert score("GAD-2", {"1": 2}).missing_items == ("2",)


@pytest.mark.parametrize(
    ("name", "answers", "params", "message"),
    [
        ("PHQ-9", [0] * 8, {}, "PHQ-9 takes 9 or 10 answers, got 8"),
        ("PHQ-9", [0] * 11, {}, "PHQ-9 takes 9 or 10 answers, got 11"),
        ("GAD-7", [0, 0, 4, 0, 0, 0, 0], {}, "item 3: 4 is out of range (allowed: 0, 1, 2, 3)"),
        ("GAD-7", [0, 0, -1, 0, 0, 0, 0], {}, "item 3: -1 is out of range"),
        ("K10", [0] + [1] * 9, {}, "item 1: 0 is out of range (allowed: 1, 2, 3, 4, 5)"),
        ("GAD-2", [1, "x"], {}, "item 2: 'x' is not a whole number"),
        ("GAD-2", [1, True], {}, "item 2: True is not a whole number"),
        ("GAD-2", [1, 1.0], {}, "item 2: 1.0 is not a whole number"),
        ("GAD-2", {"1": 1, "3": 1}, {}, "GAD-2 has no item '3'"),
        ("GAD-2", "11", {}, "answers must be a list"),
        ("AUDIT-C", [1, 1, 1], {"sex": "other"}, "parameter sex: 'other' is not one of female, male, unspecified"),
        ("PHQ-9", [0] * 9, {"sex": "female"}, "PHQ-9 takes no parameter 'sex'"),
    ],
)
def test_it_rejects_malformed_input_naming_the_item(
    name: str, answers: object, params: Mapping[str, str], message: str
) -> None:
    with pytest.raises(ScoringInputError) as error:
        score(name, answers, **params)  # type: ignore[arg-type]
    assert any(message in problem for problem in error.value.errors), error.value.errors


def test_it_reports_every_problem_at_once() -> None:
    with pytest.raises(ScoringInputError) as error:
        score("GAD-2", [9, "x"], colour="red")
    assert len(error.value.errors) == 3


def test_it_accepts_parameters_case_insensitively() -> None:
    assert score("AUDIT-C", [1, 1, 1], sex="Male").params == {"sex": "male"}


def test_it_refuses_an_unknown_instrument() -> None:
    with pytest.raises(UnknownInstrumentError):
        score("BDI-II", [0] * 21)


def test_it_returns_a_json_ready_result() -> None:
    data = score("C-SSRS", [1, 1, None, None, None, 0, None]).as_dict()
    assert {"instrument", "total", "band", "caseness", "flags", "subscales", "complete", "errors"} <= set(data)
    assert data["derived"] == {"risk_level": None, "risk_level_possible": ["high", "moderate", "low"]}
    assert data["errors"] == []
