"""Score one set of answers to one instrument, exactly as the instrument's data file says.

`score()` is pure. It validates the answers (count, whole numbers, allowed values; each message names
the item) and the instrument parameters, fills items that skip logic left unasked, applies reverse
scoring, and sums the total unless an item is missing, in which case the manual's rule applies: no
prorating, so the total is absent and the reason given. Band, caseness, subscales, flags and derived
outputs (WHO-5 percentage, PCL-5 cluster rule, C-SSRS risk level) follow from the data file. Conditions
are evaluated in three-valued logic (true, false, unknown), so an unanswered item is never read as a
zero, and safety flags depend on the items alone: they are raised even when the total is absent or low.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from careloop.measures.instrument_schema import (
    AllOf,
    AnyOf,
    Condition,
    CountOf,
    Instrument,
    Item,
    ItemCondition,
    Levels,
    ScoreCondition,
    conditions_within,
)
from careloop.measures.instruments_registry import find_instrument

Response = int | None
TriState = bool | None
DerivedValue = int | bool | str | tuple[str, ...] | None
AnswersInput = Sequence[object] | Mapping[str, object]

INCOMPLETE_FLAG = "incomplete"


class ScoringInputError(ValueError):
    """The answers or parameters were malformed; `errors` lists every problem, each naming its item."""

    def __init__(self, instrument: str, errors: Sequence[str]) -> None:
        self.instrument = instrument
        self.errors = tuple(errors)
        super().__init__(f"{instrument}: " + "; ".join(self.errors))


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    instrument_id: str
    version: str
    total: int | None
    total_missing_reason: str | None
    band: str | None
    caseness: bool | None
    subscales: Mapping[str, int | None]
    flags: tuple[str, ...]
    risk_flags: tuple[str, ...]
    complete: bool
    missing_items: tuple[str, ...]
    skipped_items: tuple[str, ...]
    item_scores: Mapping[str, int | None]
    derived: Mapping[str, DerivedValue]
    params: Mapping[str, str]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict; `errors` is always empty because invalid input never yields a result."""
        return {
            "instrument": self.instrument,
            "instrument_id": self.instrument_id,
            "version": self.version,
            "total": self.total,
            "band": self.band,
            "caseness": self.caseness,
            "flags": list(self.flags),
            "risk_flags": list(self.risk_flags),
            "subscales": dict(self.subscales),
            "complete": self.complete,
            "missing_items": list(self.missing_items),
            "skipped_items": list(self.skipped_items),
            "total_missing_reason": self.total_missing_reason,
            "derived": {key: list(v) if isinstance(v, tuple) else v for key, v in self.derived.items()},
            "item_scores": dict(self.item_scores),
            "params": dict(self.params),
            "errors": [],
        }


@dataclass(frozen=True)
class Facts:
    """What conditions read: item scores (after reversal) and named scores ('total', subscale ids)."""

    items: Mapping[str, int | None]
    scores: Mapping[str, int | None]


@dataclass(frozen=True)
class LevelOutcome:
    level: str | None
    possible: tuple[str, ...]


def score(instrument: Instrument | str, answers: AnswersInput, **params: object) -> ScoreResult:
    """Score `answers` (a list in item order, `None` for unanswered, or a mapping item id -> answer)."""
    chosen = instrument if isinstance(instrument, Instrument) else find_instrument(instrument)
    responses, parameters = validated_input(chosen, answers, params)
    filled, skipped = apply_skip_rules(chosen, responses)
    return _assemble(chosen, item_scores(chosen, filled), skipped, parameters)


def validated_input(
    instrument: Instrument, answers: AnswersInput, params: Mapping[str, object]
) -> tuple[dict[str, Response], dict[str, str]]:
    errors: list[str] = []
    parameters = _chosen_parameters(instrument, params, errors)
    responses = _responses(instrument, answers, errors)
    if errors:
        raise ScoringInputError(instrument.name, errors)
    return responses, parameters


def _chosen_parameters(instrument: Instrument, given: Mapping[str, object], errors: list[str]) -> dict[str, str]:
    chosen = {parameter.name: parameter.default for parameter in instrument.parameters}
    for name, value in given.items():
        if name not in chosen:
            takes = ", ".join(chosen) or "none"
            errors.append(f"{instrument.name} takes no parameter {name!r} (parameters: {takes})")
            continue
        choices = instrument.parameter(name).choices
        text = str(value).lower() if isinstance(value, str | int) and not isinstance(value, bool) else None
        if text not in choices:
            errors.append(f"parameter {name}: {value!r} is not one of {', '.join(choices)}")
            continue
        chosen[name] = text
    return chosen


def _responses(instrument: Instrument, answers: AnswersInput, errors: list[str]) -> dict[str, Response]:
    if isinstance(answers, Mapping):
        raw = _keyed_answers(instrument, answers, errors)
    elif isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        errors.append("answers must be a list in item order or a mapping of item id to answer")
        raw = {}
    else:
        raw = _positional_answers(instrument, answers, errors)
    return {item.id: _checked_answer(instrument, item, raw.get(item.id), errors) for item in instrument.items}


def _positional_answers(instrument: Instrument, answers: Sequence[object], errors: list[str]) -> dict[str, object]:
    fewest, most = instrument.min_answer_count, len(instrument.items)
    if not fewest <= len(answers) <= most:
        expected = str(most) if fewest == most else f"{fewest} or {most}" if most - fewest == 1 else f"{fewest}-{most}"
        errors.append(f"{instrument.name} takes {expected} answers, got {len(answers)}")
        return {}
    return {item.id: value for item, value in zip(instrument.items, answers, strict=False)}


def _keyed_answers(instrument: Instrument, answers: Mapping[str, object], errors: list[str]) -> dict[str, object]:
    known = {item.id for item in instrument.items}
    for key in answers:
        if key not in known:
            errors.append(f"{instrument.name} has no item {key!r}")
    return {key: value for key, value in answers.items() if key in known}


def _checked_answer(instrument: Instrument, item: Item, value: object, errors: list[str]) -> Response:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"item {item.id}: {value!r} is not a whole number")
        return None
    allowed = sorted(instrument.answer_set(item).values)
    if value not in allowed:
        errors.append(f"item {item.id}: {value} is out of range (allowed: {', '.join(map(str, allowed))})")
        return None
    return value


def item_scores(instrument: Instrument, responses: Mapping[str, Response]) -> dict[str, int | None]:
    scores: dict[str, int | None] = {}
    for item in instrument.items:
        response = responses[item.id]
        scores[item.id] = None if response is None else instrument.item_score(item, response)
    return scores


def apply_skip_rules(
    instrument: Instrument, responses: Mapping[str, Response]
) -> tuple[dict[str, Response], tuple[str, ...]]:
    """Give unasked items their skip value. An answer that was given anyway is kept: it is what was said."""
    filled, skipped = dict(responses), list[str]()
    for rule in instrument.skip_rules:
        if evaluate(rule.when, Facts(item_scores(instrument, filled), {})) is not True:
            continue
        unasked = [item_id for item_id in rule.items if filled[item_id] is None]
        filled.update(dict.fromkeys(unasked, rule.value))
        skipped += unasked
    return filled, tuple(skipped)


def evaluate(condition: Condition, facts: Facts) -> TriState:
    """True, False, or None when unanswered items leave the condition undecided."""
    if isinstance(condition, ItemCondition):
        return _within(facts.items[condition.item], condition.at_least, condition.at_most)
    if isinstance(condition, ScoreCondition):
        return _within(facts.scores.get(condition.score), condition.at_least, condition.at_most)
    if isinstance(condition, AllOf):
        return _all_of([evaluate(child, facts) for child in condition.all_of])
    if isinstance(condition, AnyOf):
        return _any_of([evaluate(child, facts) for child in condition.any_of])
    return _count_of(condition, [evaluate(child, facts) for child in condition.of])


def _within(value: int | None, at_least: int | None, at_most: int | None) -> TriState:
    if value is None:
        return None
    return (at_least is None or value >= at_least) and (at_most is None or value <= at_most)


def _all_of(values: list[TriState]) -> TriState:
    if False in values:
        return False
    return None if None in values else True


def _any_of(values: list[TriState]) -> TriState:
    if True in values:
        return True
    return None if None in values else False


def _count_of(condition: CountOf, values: list[TriState]) -> TriState:
    sure, possible = values.count(True), values.count(True) + values.count(None)
    fewest = condition.at_least if condition.at_least is not None else 0
    most = condition.at_most if condition.at_most is not None else len(values)
    if fewest <= sure and possible <= most:
        return True
    if possible < fewest or sure > most:
        return False
    return None


def _assemble(
    instrument: Instrument, scores: dict[str, int | None], skipped: tuple[str, ...], params: dict[str, str]
) -> ScoreResult:
    missing = tuple(item.id for item in instrument.items if not item.optional and scores[item.id] is None)
    total, reason = _total(instrument, scores)
    subscales = {sub.id: _sum_or_none([scores[i] for i in sub.items]) for sub in instrument.subscales}
    facts = Facts(scores, {"total": total, **subscales})
    level = _level(instrument.levels, instrument, scores)
    flags, risk_flags = _flags(instrument, facts, level, complete=not missing)
    return ScoreResult(
        instrument=instrument.name,
        instrument_id=instrument.id,
        version=instrument.version,
        total=total,
        total_missing_reason=reason,
        band=_band(instrument, total, params, level),
        caseness=_caseness(instrument, facts, params),
        subscales=subscales,
        flags=flags,
        risk_flags=risk_flags,
        complete=not missing,
        missing_items=missing,
        skipped_items=skipped,
        item_scores=scores,
        derived=_derived(instrument, total, facts, level),
        params=params,
    )


def _sum_or_none(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if len(known) == len(values) else None


def _total(instrument: Instrument, scores: Mapping[str, int | None]) -> tuple[int | None, str | None]:
    if instrument.total is None:
        return None, f"{instrument.name} has no total score"
    unanswered = [item.id for item in instrument.scored_items if scores[item.id] is None]
    if unanswered:
        items = ", ".join(unanswered)
        return None, f"no total: item(s) {items} unanswered, and {instrument.name} has no published prorating rule"
    return _sum_or_none([scores[item.id] for item in instrument.scored_items]), None


def _selected(parameter: str | None, params: Mapping[str, str]) -> str:
    return "default" if parameter is None else params[parameter]


def _band(
    instrument: Instrument, total: int | None, params: Mapping[str, str], level: LevelOutcome | None
) -> str | None:
    if instrument.levels and instrument.levels.use_as_band:
        return level.level if level else None
    if instrument.bands is None or total is None:
        return None
    scheme = instrument.bands.schemes[_selected(instrument.bands.parameter, params)]
    return next(band.band for band in scheme.ranges if band.min <= total <= band.max)


def _caseness(instrument: Instrument, facts: Facts, params: Mapping[str, str]) -> bool | None:
    if instrument.caseness is None:
        return None
    rule = instrument.caseness.rules[_selected(instrument.caseness.parameter, params)]
    return evaluate(rule.when, facts)


def _level(levels: Levels | None, instrument: Instrument, scores: Mapping[str, int | None]) -> LevelOutcome | None:
    """Decide the level, or, when missing answers could change it, every level still possible."""
    if levels is None:
        return None
    read = {c.item for level in levels.order for c in conditions_within(level.when) if isinstance(c, ItemCondition)}
    missing = sorted(item_id for item_id in read if scores[item_id] is None)
    found = {_first_level(levels, {**scores, **completion}) for completion in _completions(instrument, missing)}
    possible = tuple(name for name in levels.names if name in found)
    return LevelOutcome(possible[0] if len(possible) == 1 else None, possible)


def _first_level(levels: Levels, scores: Mapping[str, int | None]) -> str:
    facts = Facts(scores, {})
    return next((level.level for level in levels.order if evaluate(level.when, facts)), levels.otherwise)


def _completions(instrument: Instrument, missing: list[str]) -> Iterator[dict[str, int]]:
    choices = [instrument.possible_item_scores(instrument.item(item_id)) for item_id in missing]
    for combination in itertools.product(*choices):
        yield dict(zip(missing, combination, strict=True))


def _flags(
    instrument: Instrument, facts: Facts, level: LevelOutcome | None, *, complete: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    raised = [*_critical_flags(instrument, facts), *_rule_flags(instrument, facts)]
    if instrument.levels and level and level.level is None:
        raised.append((instrument.levels.undetermined_flag, True))
    if not complete:
        raised.append((INCOMPLETE_FLAG, False))
    flags = tuple(dict.fromkeys(flag for flag, _ in raised))
    return flags, tuple(dict.fromkeys(flag for flag, risk in raised if risk))


def _critical_flags(instrument: Instrument, facts: Facts) -> Iterator[tuple[str, bool]]:
    # An unanswered critical item is an incomplete risk screen, never a zero.
    for critical in instrument.critical_items:
        state = _within(facts.items[critical.item], critical.at_least, None)
        if state is True:
            yield critical.flag, True
        elif state is None:
            yield critical.unanswered_flag, True


def _rule_flags(instrument: Instrument, facts: Facts) -> Iterator[tuple[str, bool]]:
    for rule in instrument.flag_rules:
        state = evaluate(rule.when, facts)
        if state is True:
            yield rule.flag, rule.risk
        elif state is None and rule.unknown_flag:
            yield rule.unknown_flag, rule.risk


def _derived(
    instrument: Instrument, total: int | None, facts: Facts, level: LevelOutcome | None
) -> dict[str, DerivedValue]:
    derived: dict[str, DerivedValue] = {}
    for derived_score in instrument.derived_scores:
        derived[derived_score.name] = None if total is None else total * derived_score.multiply_total_by
    for derived_condition in instrument.derived_conditions:
        derived[derived_condition.name] = evaluate(derived_condition.when, facts)
    if instrument.levels and level:
        derived[instrument.levels.name] = level.level
        derived[f"{instrument.levels.name}_possible"] = level.possible
    return derived
