"""Outcomes: the NHS Talking Therapies classification at every boundary, the choice of anxiety measure,
the Jacobson–Truax index, input validation, and invariants over generated score pairs."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careloop.measures.outcomes import (
    EpisodeOutcome,
    JacobsonTruax,
    OutcomeInputError,
    episode_outcome,
    outcome_rules,
    reliable_change_index,
)

FLAGS = ("caseness_at_start", "recovered", "reliable_improvement", "reliable_deterioration", "reliable_recovery",
         "no_reliable_change")


def classify(phq: tuple[int, int], gad: tuple[int, int], **kwargs: object) -> EpisodeOutcome:
    return episode_outcome({"PHQ-9": phq[0], "GAD-7": gad[0]}, {"PHQ-9": phq[1], "GAD-7": gad[1]}, **kwargs)  # type: ignore[arg-type]


def flags(outcome: EpisodeOutcome) -> dict[str, object]:
    data = outcome.as_dict()
    return {name: data[name] for name in (*FLAGS, "label")}


# (PHQ-9 first, last), (GAD-7 first, last) -> caseness, recovered, improvement, deterioration,
# reliable recovery, no change, label
CLASSIFICATIONS = [
    ((15, 5), (12, 4), (True, True, True, False, True, False, "reliable_recovery")),
    ((15, 9), (12, 7), (True, True, True, False, True, False, "reliable_recovery")),
    ((12, 9), (9, 7), (True, True, False, False, False, True, "recovered")),
    ((20, 14), (10, 10), (True, False, True, False, False, False, "reliable_improvement")),
    ((12, 10), (9, 8), (True, False, False, False, False, True, "no_reliable_change")),
    ((10, 16), (8, 8), (True, False, False, True, False, False, "reliable_deterioration")),
    ((9, 3), (7, 2), (False, None, True, False, None, False, "not_at_caseness")),
    ((9, 8), (7, 7), (False, None, False, False, None, True, "not_at_caseness")),
    ((5, 11), (2, 2), (False, None, False, True, None, False, "reliable_deterioration")),
    # Recovered and reliably deteriorated at once (reference §6.3): both counted, deterioration leads.
    ((10, 9), (2, 7), (True, True, False, True, False, False, "reliable_deterioration")),
]


@pytest.mark.parametrize(("phq", "gad", "expected"), CLASSIFICATIONS)
def test_it_classifies_by_the_nhs_talking_therapies_definitions(
    phq: tuple[int, int], gad: tuple[int, int], expected: tuple[object, ...]
) -> None:
    assert tuple(flags(classify(phq, gad)).values()) == expected


@pytest.mark.parametrize(
    ("phq", "gad", "improved", "worsened"),
    [
        ((15, 10), (12, 12), False, False),  # PHQ-9 fall of 5: not reliable
        ((15, 9), (12, 12), True, False),  # fall of 6: reliable ("6 or more")
        ((15, 15), (12, 9), False, False),  # GAD-7 fall of 3
        ((15, 15), (12, 8), True, False),  # fall of 4
        ((10, 15), (12, 12), False, False),  # PHQ-9 rise of 5
        ((10, 16), (12, 12), False, True),  # rise of 6
        ((15, 15), (4, 7), False, False),  # GAD-7 rise of 3
        ((15, 15), (4, 8), False, True),  # rise of 4
    ],
)
def test_it_uses_six_and_four_points_inclusive(
    phq: tuple[int, int], gad: tuple[int, int], improved: bool, worsened: bool
) -> None:
    outcome = classify(phq, gad)
    assert (outcome.nhs.reliable_improvement, outcome.nhs.reliable_deterioration) == (improved, worsened)


@pytest.mark.parametrize(
    ("phq", "gad", "caseness", "recovered"),
    [
        ((9, 0), (7, 0), False, None),
        ((10, 0), (7, 0), True, True),
        ((9, 0), (8, 0), True, True),
        ((15, 10), (3, 3), True, False),  # last PHQ-9 10 is still a case
        ((15, 9), (3, 3), True, True),
        ((15, 5), (12, 8), True, False),  # last GAD-7 8 is still a case
        ((15, 5), (12, 7), True, True),
    ],
)
def test_it_places_caseness_and_recovery_at_10_and_8(
    phq: tuple[int, int], gad: tuple[int, int], caseness: bool, recovered: bool | None
) -> None:
    outcome = classify(phq, gad)
    assert (outcome.nhs.caseness_at_start, outcome.nhs.recovered) == (caseness, recovered)


def test_it_counts_mixed_change_as_deterioration_and_shows_both() -> None:
    outcome = classify((20, 10), (3, 8))
    data = outcome.as_dict()
    assert (data["reliable_improvement"], data["reliable_deterioration"], data["no_reliable_change"]) == (
        False, True, False)
    assert data["mixed_reliable_change"] is True
    assert data["any_measure_reliably_worse"] is True
    assert data["reliably_worse_measures"] == ["GAD-7"]
    assert data["reliably_better_measures"] == ["PHQ-9"]
    assert data["label"] == "reliable_deterioration"


def test_it_can_take_the_symmetric_reading_of_mixed_change() -> None:
    symmetric = outcome_rules().model_copy(update={"mixed_change_policy": "no_change"})
    outcome = classify((20, 10), (3, 8), rules=symmetric)
    assert (outcome.nhs.reliable_deterioration, outcome.nhs.no_reliable_change) == (False, True)
    assert outcome.as_dict()["any_measure_reliably_worse"] is True  # still visible
    assert outcome.nhs.mixed_reliable_change is True


def test_it_uses_the_problems_disorder_specific_measure_when_paired() -> None:
    outcome = episode_outcome(
        {"PHQ-9": 12, "GAD-7": 5, "SPIN": 30}, {"PHQ-9": 5, "GAD-7": 12, "SPIN": 15}, problem="F40.1"
    )
    assert outcome.nhs.anxiety_measure == "SPIN"
    assert outcome.nhs.reliable_improvement is True  # GAD-7's rise is not part of the NHS pair ...
    assert outcome.as_dict()["reliably_worse_measures"] == ["GAD-7"]  # ... but it is never hidden
    assert any("unverified" in note for note in outcome.nhs.notes)


def test_it_falls_back_to_gad7_when_the_specific_measure_is_not_paired() -> None:
    outcome = episode_outcome({"PHQ-9": 12, "GAD-7": 9, "SPIN": 30}, {"PHQ-9": 5, "GAD-7": 3}, problem="F401")
    assert outcome.nhs.anxiety_measure == "GAD-7"
    assert outcome.unpaired == ("SPIN",)
    assert any("SPIN is not paired" in note for note in outcome.nhs.notes)


@pytest.mark.parametrize(
    ("problem", "measure"),
    [("F40.0", "Mobility Inventory"), ("F401", "SPIN"), ("F41.0", "PDSS"), ("F42.1", "OCI"), ("f43.1", "IES-R"),
     ("F45.2", "HAI"), ("F41.1", "GAD-7"), (None, "GAD-7")],
)
def test_it_maps_problem_descriptors_to_anxiety_measures(problem: str | None, measure: str) -> None:
    scores = {"PHQ-9": 12, "GAD-7": 9, "Mobility Inventory": 3, "SPIN": 30, "PDSS": 10, "OCI": 50, "IES-R": 40,
              "HAI": 20}
    assert episode_outcome(scores, scores, problem=problem).nhs.anxiety_measure == measure


def test_it_compares_decimal_thresholds_exactly() -> None:
    outcome = episode_outcome({"PHQ-9": 8, "MI": "3.03"}, {"PHQ-9": 8, "MI": "2.30"}, problem="F40.0")
    change = outcome.measures["Mobility Inventory"]
    assert (change.reliably_better, change.caseness_pre, change.caseness_post) == (True, True, False)
    assert outcome.nhs.label == "reliable_recovery"
    near = episode_outcome({"PHQ-9": 8, "MI": "3.02"}, {"PHQ-9": 8, "MI": "2.30"}, problem="F40.0")
    assert near.measures["Mobility Inventory"].reliably_better is False
    at_threshold = episode_outcome({"PHQ-9": 8, "MI": "2.3"}, {"PHQ-9": 8, "MI": "2.3"}, problem="F400")
    assert at_threshold.nhs.caseness_at_start is False  # caseness is "> 2.3"


@pytest.mark.parametrize(
    ("pre", "post", "note"),
    [
        ({"PHQ-9": 15}, {"PHQ-9": 5}, "no paired anxiety measure"),
        ({"GAD-7": 15}, {"GAD-7": 5}, "PHQ-9 needs both a first and a last score"),
        ({"PHQ-9": 15, "GAD-7": 9}, {"GAD-7": 5}, "PHQ-9 needs both a first and a last score"),
    ],
)
def test_it_reports_insufficient_data(pre: dict[str, int], post: dict[str, int], note: str) -> None:
    outcome = episode_outcome(pre, post)
    assert outcome.nhs.label == "insufficient_data"
    assert all(outcome.as_dict()[name] is None for name in FLAGS)
    assert note in " ".join(outcome.nhs.notes)


def test_it_reports_other_measures_with_their_own_direction() -> None:
    outcome = episode_outcome({"PHQ-9": 12, "GAD-7": 9, "WHO-5": 10, "PCL-5": 40, "K10": 30},
                              {"PHQ-9": 12, "GAD-7": 9, "WHO-5": 13, "PCL-5": 45, "K10": 20})
    who5, pcl5, k10 = (outcome.measures[name] for name in ("WHO-5", "PCL-5", "K10"))
    assert (who5.reliably_better, who5.reliably_worse) == (True, False)  # a rise of 3 raw = 12 points
    assert (pcl5.reliably_worse, pcl5.reliably_better) == (True, False)
    assert (k10.reliably_better, k10.reliable_change_threshold) == (None, None)
    assert outcome.as_dict()["reliably_worse_measures"] == ["PCL-5"]
    assert outcome.nhs.label == "no_reliable_change"


def test_it_treats_who5_raw_2_as_below_10_percentage_points() -> None:
    outcome = episode_outcome({"PHQ-9": 5, "GAD-7": 5, "WHO-5": 10}, {"PHQ-9": 5, "GAD-7": 5, "WHO-5": 12})
    assert outcome.measures["WHO-5"].reliably_better is False


@pytest.mark.parametrize(
    ("pre", "post", "message"),
    [
        ({"PHQ-9": 28}, {"PHQ-9": 5}, "pre PHQ-9: 28 is not a whole number from 0 to 27"),
        ({"PHQ-9": "9.5"}, {"PHQ-9": 5}, "pre PHQ-9: '9.5' is not a whole number"),
        ({"PHQ-9": "x"}, {"PHQ-9": 5}, "pre PHQ-9: 'x' is not a number"),
        ({"PHQ-9": "nan"}, {"PHQ-9": 5}, "pre PHQ-9: 'nan' is not a number"),
        ({"SPIN": -1}, {"SPIN": 5}, "pre SPIN: -1 is negative"),
        ({"BDI": 10}, {"BDI": 5}, "pre: unknown measure 'BDI'"),
        ({"PHQ-9": 10, "phq9": 11}, {"PHQ-9": 5}, "pre: PHQ-9 given twice"),
    ],
)
def test_it_rejects_malformed_scores(pre: dict[str, object], post: dict[str, object], message: str) -> None:
    with pytest.raises(OutcomeInputError) as error:
        episode_outcome(pre, post)  # type: ignore[arg-type]
    assert any(message in problem for problem in error.value.errors), error.value.errors


def test_it_computes_the_jacobson_truax_index() -> None:
    jt = JacobsonTruax(sd=5.0, reliability=0.84)
    assert math.isclose(jt.standard_error_of_difference, math.sqrt(2) * 5.0 * 0.4)
    assert math.isclose(jt.threshold, 1.96 * math.sqrt(2) * 2.0)
    assert math.isclose(reliable_change_index(15, 9, 5.0, 0.84), -6 / (math.sqrt(2) * 2.0))
    outcome = classify((15, 9), (12, 12), jacobson_truax={"PHQ-9": jt})
    phq = outcome.measures["PHQ-9"]
    assert (phq.jt_reliably_better, phq.jt_reliably_worse) == (True, False)
    assert phq.rci is not None
    assert math.isclose(phq.rci, -6 / (math.sqrt(2) * 2.0))
    assert outcome.measures["GAD-7"].rci is None


def test_it_applies_jacobson_truax_in_the_measures_direction() -> None:
    jt = {"WHO-5": JacobsonTruax(sd=4.0, reliability=0.8)}  # threshold about 4.96 raw points
    rise = episode_outcome({"PHQ-9": 5, "GAD-7": 5, "WHO-5": 5}, {"PHQ-9": 5, "GAD-7": 5, "WHO-5": 10},
                           jacobson_truax=jt)
    assert (rise.measures["WHO-5"].jt_reliably_better, rise.measures["WHO-5"].jt_reliably_worse) == (True, False)


def test_it_requires_the_jacobson_truax_index_to_exceed_z() -> None:
    base = JacobsonTruax(sd=5.0, reliability=0.84)
    jt = JacobsonTruax(sd=5.0, reliability=0.84, z=2.0 / base.standard_error_of_difference)  # |RCI| == z at 2
    at_z = classify((12, 14), (9, 9), jacobson_truax={"PHQ-9": jt}).measures["PHQ-9"]
    assert at_z.rci == jt.z
    assert (at_z.jt_reliably_worse, at_z.jt_reliably_better) == (False, False)
    beyond = classify((12, 15), (9, 9), jacobson_truax={"PHQ-9": jt})
    assert beyond.measures["PHQ-9"].jt_reliably_worse is True
    assert beyond.reliably_worse_measures == ("PHQ-9",)


@pytest.mark.parametrize(("sd", "reliability"), [(0, 0.8), (-1, 0.8), (5, 1.0), (5, -0.1), (float("nan"), 0.8)])
def test_it_refuses_impossible_jacobson_truax_parameters(sd: float, reliability: float) -> None:
    with pytest.raises(ValueError, match=r"SD|reliability"):
        JacobsonTruax(sd=sd, reliability=reliability)


def test_it_keeps_the_rules_in_data_with_sources() -> None:
    rules = outcome_rules()
    assert (rules.measures["phq9"].reliable_change, rules.measures["gad7"].reliable_change) == (Decimal(6), Decimal(4))
    assert rules.measures["gad7"].caseness is not None
    assert rules.measures["gad7"].caseness.at_least == Decimal(8)
    assert rules.mixed_change_policy == "deterioration"
    assert all(len(rule.source) > 10 for rule in rules.measures.values())


scores = st.integers(0, 27), st.integers(0, 27), st.integers(0, 21), st.integers(0, 21)


@given(*scores)
def test_its_flags_are_consistent(phq_pre: int, phq_post: int, gad_pre: int, gad_post: int) -> None:
    nhs = classify((phq_pre, phq_post), (gad_pre, gad_post)).nhs
    assert not (nhs.reliable_improvement and nhs.reliable_deterioration)
    assert nhs.no_reliable_change is (not nhs.reliable_improvement and not nhs.reliable_deterioration)
    assert (nhs.recovered is None) is (not nhs.caseness_at_start)
    if nhs.reliable_recovery:
        assert nhs.recovered
        assert nhs.reliable_improvement
    assert nhs.caseness_at_start is (phq_pre >= 10 or gad_pre >= 8)
    if nhs.reliable_deterioration:
        assert nhs.label == "reliable_deterioration"


@given(*scores)
def test_its_per_measure_flags_swap_when_time_runs_backwards(
    phq_pre: int, phq_post: int, gad_pre: int, gad_post: int
) -> None:
    forward = classify((phq_pre, phq_post), (gad_pre, gad_post))
    backward = classify((phq_post, phq_pre), (gad_post, gad_pre))
    for name in ("PHQ-9", "GAD-7"):
        there, back = forward.measures[name], backward.measures[name]
        assert (there.reliably_better, there.reliably_worse) == (back.reliably_worse, back.reliably_better)
