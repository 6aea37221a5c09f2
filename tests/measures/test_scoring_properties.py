"""Scoring invariants checked over generated answers: totals stay in range, totals move with each item in
the direction its scoring says, bands cover the range without gaps, and missing answers are never zeros."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from careloop.measures.instrument_schema import Instrument
from careloop.measures.instruments_registry import builtin_instruments, find_instrument
from careloop.measures.scoring import score

INSTRUMENTS = sorted(builtin_instruments().values(), key=lambda instrument: instrument.id)
WITH_TOTAL = [instrument for instrument in INSTRUMENTS if instrument.total]
LEVEL_ORDER = ("none", "low", "moderate", "high")


@st.composite
def complete_answers(draw: st.DrawFn, instrument: Instrument) -> list[int]:
    return [draw(st.sampled_from(instrument.answer_set(item).values)) for item in instrument.items]


@st.composite
def instrument_and_answers(draw: st.DrawFn, pool: list[Instrument]) -> tuple[Instrument, list[int]]:
    instrument = draw(st.sampled_from(pool))
    return instrument, draw(complete_answers(instrument))


@settings(max_examples=300)
@given(instrument_and_answers(WITH_TOTAL))
def test_it_keeps_the_total_in_range(case: tuple[Instrument, list[int]]) -> None:
    instrument, answers = case
    result = score(instrument, answers)
    low, high = instrument.total_range
    assert result.total is not None
    assert low <= result.total <= high
    assert result.complete
    assert "incomplete" not in result.flags
    if instrument.bands:
        assert result.band is not None


@settings(max_examples=300)
@given(instrument_and_answers(WITH_TOTAL), st.data())
def test_it_moves_the_total_with_each_item(case: tuple[Instrument, list[int]], data: st.DataObject) -> None:
    instrument, answers = case
    index = data.draw(st.sampled_from([i for i, item in enumerate(instrument.items) if item.scored]))
    item = instrument.items[index]
    higher = [value for value in instrument.answer_set(item).values if value > answers[index]]
    if not higher:
        return
    raised = [*answers[:index], min(higher), *answers[index + 1 :]]
    before, after = score(instrument, answers).total, score(instrument, raised).total
    assert before is not None
    assert after is not None
    assert (after < before) if item.reverse else (after > before)


@given(st.sampled_from(WITH_TOTAL))
def test_it_covers_the_range_with_ordered_bands(instrument: Instrument) -> None:
    low, high = instrument.total_range
    for scheme in instrument.bands.schemes.values() if instrument.bands else ():
        totals = range(low, high + 1)
        owners = [[band.band for band in scheme.ranges if band.min <= total <= band.max] for total in totals]
        assert all(len(owner) == 1 for owner in owners)
        order = [band.band for band in scheme.ranges]
        positions = [order.index(owner[0]) for owner in owners]
        assert positions == sorted(positions)


@given(st.sampled_from(INSTRUMENTS))
def test_it_mirrors_reversed_items(instrument: Instrument) -> None:
    for item in instrument.items:
        values = instrument.answer_set(item).values
        for value in values:
            mirrored = instrument.item_score(item, min(values) + max(values) - value)
            expected = min(values) + max(values) - value if not item.reverse else value
            assert mirrored == expected


@settings(max_examples=300)
@given(instrument_and_answers(WITH_TOTAL), st.data())
def test_it_never_scores_a_missing_answer(case: tuple[Instrument, list[int]], data: st.DataObject) -> None:
    instrument, answers = case
    required = [i for i, item in enumerate(instrument.items) if item.scored and not item.optional]
    index = data.draw(st.sampled_from(required))
    holed: list[int | None] = [*answers[:index], None, *answers[index + 1 :]]
    result = score(instrument, holed)
    skipped_by_rule = instrument.items[index].id in result.skipped_items
    if not skipped_by_rule:
        assert result.total is None
        assert result.band is None
        assert not result.complete
        assert "incomplete" in result.flags
        assert result.item_scores[instrument.items[index].id] is None


@given(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=8, max_size=8), st.integers(1, 3))
def test_it_always_flags_phq9_item_9(others: list[int | None], item9: int) -> None:
    result = score("PHQ-9", [*others, item9])
    assert "self_harm_thoughts" in result.risk_flags


@given(st.lists(st.sampled_from([0, 1]), min_size=7, max_size=7), st.integers(0, 6))
def test_it_never_lowers_the_cssrs_level_when_a_no_becomes_yes(answers: list[int], index: int) -> None:
    instrument = find_instrument("C-SSRS")
    raised = [*answers[:index], 1, *answers[index + 1 :]]
    before, after = score(instrument, answers).band, score(instrument, raised).band
    assert before is not None
    assert after is not None
    assert LEVEL_ORDER.index(after) >= LEVEL_ORDER.index(before)


@given(st.lists(st.one_of(st.none(), st.sampled_from([0, 1])), min_size=7, max_size=7))
def test_it_lists_a_possible_level_at_least_as_high_as_any_completion(answers: list[int | None]) -> None:
    result = score("C-SSRS", answers)
    possible = result.derived["risk_level_possible"]
    assert isinstance(possible, tuple)
    assert possible
    # Every question still open answered Yes (a question skip logic left unasked is not open).
    ids = [item.id for item in find_instrument("C-SSRS").items]
    completed = [1 if item_id in result.missing_items else answer for item_id, answer in zip(ids, answers, strict=True)]
    worst = score("C-SSRS", completed).band
    assert worst in possible
    assert (result.band is None) is (len(possible) > 1)
