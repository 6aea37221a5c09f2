"""Classify an episode's change from its paired first and last scores.

Two readings sit side by side. The NHS Talking Therapies definitions (caseness at start, recovery,
reliable improvement, reliable deterioration, reliable recovery, no reliable change) use the fixed
thresholds and the problem-descriptor choice of anxiety measure in `instruments/outcomes/outcome_rules.yaml`.
The Jacobson–Truax reliable change index is computed per measure when a local SD and reliability are
supplied. Every per-measure flag stays visible, so one measure reliably worsening is never hidden by
another improving. Scores are Decimals, so thresholds such as 0.73 compare exactly; everything is pure.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from careloop.measures.instruments_registry import builtin_instruments, canonical_name

OUTCOME_RULES_FILE = Path(__file__).with_name("instruments") / "outcomes" / "outcome_rules.yaml"
JACOBSON_TRUAX_Z = 1.96

ScoreInput = int | float | Decimal | str
Direction = Literal["better", "worse"]


class OutcomeInputError(ValueError):
    """Scores or parameters were malformed; `errors` lists every problem, each naming its measure."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(self.errors))


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(RuleModel):
    """A caseness threshold: exactly one of at_least, above (strictly), at_most."""

    at_least: Decimal | None = None
    above: Decimal | None = None
    at_most: Decimal | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Threshold:
        if [self.at_least, self.above, self.at_most].count(None) != 2:
            raise ValueError("a threshold needs exactly one of at_least, above, at_most")
        return self

    def met_by(self, score: Decimal) -> bool:
        if self.at_least is not None:
            return score >= self.at_least
        if self.above is not None:
            return score > self.above
        return self.at_most is not None and score <= self.at_most


class MeasureRule(RuleModel):
    name: str
    aliases: tuple[str, ...] = ()
    higher_means: Direction
    caseness: Threshold | None = None
    reliable_change: Decimal | None = Field(default=None, gt=0)
    clinically_meaningful_change: Decimal | None = Field(default=None, gt=0)
    verified: bool
    source: str = Field(min_length=3)


class ProblemMapping(RuleModel):
    icd10_prefix: str = Field(pattern=r"^[A-Z][0-9]+$")
    measure: str
    problem: str


class OutcomeRules(RuleModel):
    version: str
    depression_measure: str
    default_anxiety_measure: str
    comparison_source: str
    mixed_change_policy: Literal["deterioration", "no_change"]
    mixed_change_source: str
    measures: dict[str, MeasureRule]
    anxiety_measure_by_problem: tuple[ProblemMapping, ...]
    anxiety_measure_source: str

    @model_validator(mode="after")
    def _measures_exist(self) -> OutcomeRules:
        named = [self.depression_measure, self.default_anxiety_measure]
        named += [mapping.measure for mapping in self.anxiety_measure_by_problem]
        for key in named:
            rule = self.measures.get(key)
            if rule is None or rule.caseness is None or rule.reliable_change is None:
                raise ValueError(f"measure {key!r} needs an entry with caseness and reliable_change")
        return self


@functools.cache
def outcome_rules() -> OutcomeRules:
    """The shipped NHS Talking Therapies rules and change thresholds."""
    return OutcomeRules.model_validate(yaml.safe_load(OUTCOME_RULES_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Measure:
    """What the outcome rules know about one measure, merged from its rule and its instrument file."""

    key: str
    name: str
    higher_means: Direction
    caseness: Threshold | None
    reliable_change: Decimal | None
    verified: bool
    # Whole-number totals within this range, for measures Careloop scores itself.
    score_range: tuple[int, int] | None


@dataclass(frozen=True)
class MeasureCatalogue:
    measures: Mapping[str, Measure]
    names: Mapping[str, str]

    def lookup(self, name: str) -> Measure | None:
        key = self.names.get(canonical_name(name))
        return None if key is None else self.measures[key]


def measure_catalogue(rules: OutcomeRules) -> MeasureCatalogue:
    """Every measure with a rule, and every built-in instrument with a total (change only, no thresholds)."""
    measures: dict[str, Measure] = {}
    names: dict[str, str] = {}
    for instrument in builtin_instruments().values():
        if instrument.total is None:
            continue
        measures[instrument.id] = Measure(
            instrument.id, instrument.name, instrument.total.higher_means, None, None, False, instrument.total_range
        )
        names.update(dict.fromkeys(_folded(instrument.id, instrument.name, *instrument.aliases), instrument.id))
    for key, rule in rules.measures.items():
        known = measures.get(key)
        score_range = known.score_range if known else None
        measures[key] = Measure(
            key, rule.name, rule.higher_means, rule.caseness, rule.reliable_change, rule.verified, score_range
        )
        names.update(dict.fromkeys(_folded(key, rule.name, *rule.aliases), key))
    return MeasureCatalogue(measures, names)


def _folded(*names: str) -> list[str]:
    return [canonical_name(name) for name in names]


@dataclass(frozen=True)
class JacobsonTruax:
    """Jacobson & Truax (1991): RCI = (post - pre) / S_diff, S_diff = sqrt(2) * SD * sqrt(1 - r)."""

    sd: float
    reliability: float
    z: float = JACOBSON_TRUAX_Z

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sd) and self.sd > 0):
            raise ValueError(f"SD must be a positive number, got {self.sd}")
        if not 0 <= self.reliability < 1:
            raise ValueError(f"reliability must be at least 0 and below 1, got {self.reliability}")

    @property
    def standard_error_of_difference(self) -> float:
        return math.sqrt(2) * self.sd * math.sqrt(1 - self.reliability)

    @property
    def threshold(self) -> float:
        """The raw-point change a reliable change must exceed."""
        return self.z * self.standard_error_of_difference

    def index(self, pre: Decimal, post: Decimal) -> float:
        return float(post - pre) / self.standard_error_of_difference


def reliable_change_index(pre: float, post: float, sd: float, reliability: float) -> float:
    return JacobsonTruax(sd, reliability).index(Decimal(str(pre)), Decimal(str(post)))


@dataclass(frozen=True)
class MeasureChange:
    measure: str
    pre: Decimal
    post: Decimal
    change: Decimal
    caseness_pre: bool | None
    caseness_post: bool | None
    reliable_change_threshold: Decimal | None
    reliably_better: bool | None
    reliably_worse: bool | None
    thresholds_verified: bool
    rci: float | None = None
    jt_threshold: float | None = None
    jt_reliably_better: bool | None = None
    jt_reliably_worse: bool | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "pre": json_number(self.pre),
            "post": json_number(self.post),
            "change": json_number(self.change),
            "caseness_pre": self.caseness_pre,
            "caseness_post": self.caseness_post,
            "reliable_change_threshold": None
            if self.reliable_change_threshold is None
            else json_number(self.reliable_change_threshold),
            "reliably_better": self.reliably_better,
            "reliably_worse": self.reliably_worse,
            "thresholds_verified": self.thresholds_verified,
            "rci": self.rci,
            "jt_threshold": self.jt_threshold,
            "jt_reliably_better": self.jt_reliably_better,
            "jt_reliably_worse": self.jt_reliably_worse,
        }


def json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def measure_change(measure: Measure, pre: Decimal, post: Decimal, jt: JacobsonTruax | None = None) -> MeasureChange:
    """One measure's change, judged against its fixed threshold and, when given, Jacobson–Truax."""
    improvement = pre - post if measure.higher_means == "worse" else post - pre
    threshold = measure.reliable_change
    change = MeasureChange(
        measure=measure.name,
        pre=pre,
        post=post,
        change=post - pre,
        caseness_pre=None if measure.caseness is None else measure.caseness.met_by(pre),
        caseness_post=None if measure.caseness is None else measure.caseness.met_by(post),
        reliable_change_threshold=threshold,
        reliably_better=None if threshold is None else improvement >= threshold,
        reliably_worse=None if threshold is None else -improvement >= threshold,
        thresholds_verified=measure.verified,
    )
    return change if jt is None else _with_jacobson_truax(change, measure.higher_means, jt)


def _with_jacobson_truax(change: MeasureChange, higher_means: Direction, jt: JacobsonTruax) -> MeasureChange:
    rci = jt.index(change.pre, change.post)
    # A positive RCI is a rise; whether a rise is worse depends on the measure's direction.
    rise, fall = rci > jt.z, rci < -jt.z
    worse, better = (rise, fall) if higher_means == "worse" else (fall, rise)
    return replace(change, rci=rci, jt_threshold=jt.threshold, jt_reliably_better=better, jt_reliably_worse=worse)


@dataclass(frozen=True)
class TalkingTherapiesFlags:
    """The NHS Talking Therapies classification of one episode; None where it does not apply."""

    anxiety_measure: str | None
    caseness_at_start: bool | None
    recovered: bool | None
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    reliable_recovery: bool | None
    no_reliable_change: bool | None
    mixed_reliable_change: bool | None
    label: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class EpisodeOutcome:
    problem: str | None
    depression_measure: str
    nhs: TalkingTherapiesFlags
    measures: Mapping[str, MeasureChange]
    unpaired: tuple[str, ...] = field(default=())

    @property
    def reliably_worse_measures(self) -> tuple[str, ...]:
        return tuple(name for name, c in self.measures.items() if c.reliably_worse or c.jt_reliably_worse)

    @property
    def reliably_better_measures(self) -> tuple[str, ...]:
        return tuple(name for name, c in self.measures.items() if c.reliably_better or c.jt_reliably_better)

    def as_dict(self) -> dict[str, object]:
        nhs = self.nhs
        return {
            "problem": self.problem,
            "depression_measure": self.depression_measure,
            "anxiety_measure": nhs.anxiety_measure,
            "caseness_at_start": nhs.caseness_at_start,
            "recovered": nhs.recovered,
            "reliable_improvement": nhs.reliable_improvement,
            "reliable_deterioration": nhs.reliable_deterioration,
            "reliable_recovery": nhs.reliable_recovery,
            "no_reliable_change": nhs.no_reliable_change,
            "mixed_reliable_change": nhs.mixed_reliable_change,
            "any_measure_reliably_worse": bool(self.reliably_worse_measures),
            "any_measure_reliably_better": bool(self.reliably_better_measures),
            "reliably_worse_measures": list(self.reliably_worse_measures),
            "reliably_better_measures": list(self.reliably_better_measures),
            "label": nhs.label,
            "notes": list(nhs.notes),
            "unpaired": list(self.unpaired),
            "measures": {name: change.as_dict() for name, change in self.measures.items()},
            "errors": [],
        }


def episode_outcome(
    pre: Mapping[str, ScoreInput],
    post: Mapping[str, ScoreInput],
    *,
    problem: str | None = None,
    jacobson_truax: Mapping[str, JacobsonTruax] | None = None,
    rules: OutcomeRules | None = None,
) -> EpisodeOutcome:
    """Classify an episode from first (`pre`) and last (`post`) scores, keyed by measure name."""
    rules = rules or outcome_rules()
    catalogue = measure_catalogue(rules)
    errors: list[str] = []
    first = _parsed_scores("pre", pre, catalogue, errors)
    last = _parsed_scores("post", post, catalogue, errors)
    jt = _keyed_jacobson_truax(jacobson_truax or {}, catalogue, errors)
    if errors:
        raise OutcomeInputError(errors)
    paired = [key for key in first if key in last]
    changes = {key: measure_change(catalogue.measures[key], first[key], last[key], jt.get(key)) for key in paired}
    return EpisodeOutcome(
        problem=problem,
        depression_measure=catalogue.measures[rules.depression_measure].name,
        nhs=talking_therapies_flags(rules, catalogue, changes, problem),
        measures={change.measure: change for change in changes.values()},
        unpaired=tuple(sorted(catalogue.measures[key].name for key in set(first) ^ set(last))),
    )


def _parsed_scores(
    side: str, given: Mapping[str, ScoreInput], catalogue: MeasureCatalogue, errors: list[str]
) -> dict[str, Decimal]:
    parsed: dict[str, Decimal] = {}
    for name, raw in given.items():
        measure = catalogue.lookup(name)
        if measure is None:
            errors.append(f"{side}: unknown measure {name!r}")
        elif measure.key in parsed:
            errors.append(f"{side}: {measure.name} given twice")
        else:
            value = _checked_score(side, measure, raw, errors)
            if value is not None:
                parsed[measure.key] = value
    return parsed


def _checked_score(side: str, measure: Measure, raw: ScoreInput, errors: list[str]) -> Decimal | None:
    value = parse_decimal(raw)
    problem = _score_problem(measure, value)
    if problem:
        errors.append(f"{side} {measure.name}: {raw!r} {problem}")
        return None
    return value


def _score_problem(measure: Measure, value: Decimal | None) -> str | None:
    if value is None:
        return "is not a number"
    if measure.score_range is None:
        return "is negative" if value < 0 else None
    low, high = measure.score_range
    if value != value.to_integral_value() or not low <= value <= high:
        return f"is not a whole number from {low} to {high}"
    return None


def parse_decimal(raw: object) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _keyed_jacobson_truax(
    given: Mapping[str, JacobsonTruax], catalogue: MeasureCatalogue, errors: list[str]
) -> dict[str, JacobsonTruax]:
    keyed: dict[str, JacobsonTruax] = {}
    for name, params in given.items():
        measure = catalogue.lookup(name)
        if measure is None:
            errors.append(f"Jacobson–Truax: unknown measure {name!r}")
        else:
            keyed[measure.key] = params
    return keyed


def talking_therapies_flags(
    rules: OutcomeRules, catalogue: MeasureCatalogue, changes: Mapping[str, MeasureChange], problem: str | None
) -> TalkingTherapiesFlags:
    notes: list[str] = []
    anxiety_key = _anxiety_measure(rules, catalogue, changes, problem, notes)
    depression = changes.get(rules.depression_measure)
    if depression is None:
        notes.append(f"{catalogue.measures[rules.depression_measure].name} needs both a first and a last score")
    if depression is None or anxiety_key is None:
        return TalkingTherapiesFlags(None, None, None, None, None, None, None, None, "insufficient_data", tuple(notes))
    return _classified(rules, depression, changes[anxiety_key], notes)


def _anxiety_measure(
    rules: OutcomeRules,
    catalogue: MeasureCatalogue,
    changes: Mapping[str, MeasureChange],
    problem: str | None,
    notes: list[str],
) -> str | None:
    """The problem's disorder-specific measure when paired, else the GAD-7 (NHS Digital construction)."""
    specific = _measure_for_problem(rules, problem)
    if specific is not None and specific in changes:
        if not catalogue.measures[specific].verified:
            notes.append(f"{catalogue.measures[specific].name} thresholds are unverified configuration")
        return specific
    default = rules.default_anxiety_measure
    default_name = catalogue.measures[default].name
    if specific is not None:
        notes.append(f"{catalogue.measures[specific].name} is not paired for problem {problem}; {default_name} used")
    if default in changes:
        return default
    notes.append(f"no paired anxiety measure ({default_name} or the problem's disorder-specific measure)")
    return None


def _measure_for_problem(rules: OutcomeRules, problem: str | None) -> str | None:
    code = re.sub(r"[^A-Z0-9]", "", (problem or "").upper())
    longest_first = sorted(rules.anxiety_measure_by_problem, key=lambda m: -len(m.icd10_prefix))
    return next((m.measure for m in longest_first if code.startswith(m.icd10_prefix)), None)


def _classified(
    rules: OutcomeRules, depression: MeasureChange, anxiety: MeasureChange, notes: list[str]
) -> TalkingTherapiesFlags:
    better = depression.reliably_better is True or anxiety.reliably_better is True
    worse = depression.reliably_worse is True or anxiety.reliably_worse is True
    caseness = depression.caseness_pre is True or anxiety.caseness_pre is True
    improvement = better and not worse
    deterioration = worse and (rules.mixed_change_policy == "deterioration" or not better)
    # Not at caseness at start: excluded from the recovery denominators, so recovery does not apply.
    recovered = (depression.caseness_post is False and anxiety.caseness_post is False) if caseness else None
    reliable_recovery = (recovered is True and improvement) if caseness else None
    if not caseness:
        notes.append("not at caseness at start: excluded from recovery and reliable recovery")
    if better and worse:
        policy = rules.mixed_change_policy
        notes.append(f"one measure reliably improved and the other reliably worsened (policy: {policy})")
    return TalkingTherapiesFlags(
        anxiety_measure=anxiety.measure,
        caseness_at_start=caseness,
        recovered=recovered,
        reliable_improvement=improvement,
        reliable_deterioration=deterioration,
        reliable_recovery=reliable_recovery,
        no_reliable_change=not improvement and not deterioration,
        mixed_reliable_change=better and worse,
        label=_label(caseness, recovered, improvement, deterioration),
        notes=tuple(notes),
    )


def _label(caseness: bool, recovered: bool | None, improvement: bool, deterioration: bool) -> str:
    """One summary word, safety first. Deterioration outranks not-at-caseness so it is never masked."""
    if deterioration:
        return "reliable_deterioration"
    if not caseness:
        return "not_at_caseness"
    if recovered and improvement:
        return "reliable_recovery"
    if recovered:
        return "recovered"
    return "reliable_improvement" if improvement else "no_reliable_change"
