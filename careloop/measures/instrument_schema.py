"""The shape of an instrument data file, checked on load, and its FHIR Questionnaire form.

An instrument (PHQ-9, GAD-7, C-SSRS ...) is data: items, answer values, reverse-scored items, skip
rules, subscales, severity bands, caseness, critical items, the manual's missing-item rule and the
licence, each rule carrying the source it came from. These pydantic models validate one YAML file and
refuse anything inconsistent (a gap between bands, a rule naming an item that does not exist, item text
where the licence forbids it), so the scoring code can trust what it reads. `to_fhir_questionnaire`
renders the same data as a FHIR R4B Questionnaire resource (a plain dict).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

Source = Annotated[str, Field(min_length=3, description="where the rule comes from")]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
ChoiceValue = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.]*$")]
LoincCode = Annotated[str, Field(pattern=r"^\d{1,7}-\d$")]
LoincAnswerCode = Annotated[str, Field(pattern=r"^LA\d{1,7}-\d$")]

LOINC_SYSTEM = "http://loinc.org"
ORDINAL_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
DEFAULT_CANONICAL_BASE = "https://fhir.careloop.example/Questionnaire"
# Enumerating every completion of the items a level rule reads must stay cheap.
MAX_LEVEL_COMPLETIONS = 2**16


class DataModel(BaseModel):
    """Base for every part of an instrument file: unknown keys are errors, parsed data is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class LoincCoding(DataModel):
    code: LoincCode
    display: str
    source: Source


class AnswerOption(DataModel):
    value: int
    label: str | None = None
    loinc: LoincAnswerCode | None = None
    # LOINC's own display, where it differs from the printed form's label (GAD-7 item 2).
    loinc_display: str | None = None


class AnswerSet(DataModel):
    options: tuple[AnswerOption, ...] = Field(min_length=2)
    source: Source

    @model_validator(mode="after")
    def _values_unique(self) -> AnswerSet:
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"answer values repeat: {list(self.values)}")
        return self

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    @property
    def contiguous(self) -> bool:
        return sorted(self.values) == list(range(min(self.values), max(self.values) + 1))


class Item(DataModel):
    id: ItemId
    text: str | None = None
    answers: Identifier
    loinc: LoincCode | None = None
    reverse: bool = False
    # Counts towards the total (the PHQ-9 difficulty question does not).
    scored: bool = True
    # An optional item may be left out of the answer list and never makes a response incomplete.
    optional: bool = False
    higher_means: Literal["better", "worse"] | None = None


class ItemCondition(DataModel):
    """True when the item's score (after reverse scoring) lies within the bounds."""

    item: ItemId
    at_least: int | None = None
    at_most: int | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> ItemCondition:
        return _require_bound(self, self.at_least, self.at_most)


class ScoreCondition(DataModel):
    """True when the total or a named subscale lies within the bounds."""

    score: Identifier
    at_least: int | None = None
    at_most: int | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> ScoreCondition:
        return _require_bound(self, self.at_least, self.at_most)


_Bounded = TypeVar("_Bounded", bound=BaseModel)


class AllOf(DataModel):
    all_of: tuple[Condition, ...] = Field(min_length=1)


class AnyOf(DataModel):
    any_of: tuple[Condition, ...] = Field(min_length=1)


class CountOf(DataModel):
    """True when the number of true conditions in `of` lies within the bounds."""

    of: tuple[Condition, ...] = Field(min_length=1)
    at_least: int | None = None
    at_most: int | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> CountOf:
        return _require_bound(self, self.at_least, self.at_most)


def _require_bound(model: _Bounded, at_least: int | None, at_most: int | None) -> _Bounded:
    if at_least is None and at_most is None:
        raise ValueError("a condition needs at_least, at_most or both")
    return model


_CONDITION_KEYS = ("item", "score", "all_of", "any_of", "of")


def _condition_tag(value: object) -> str | None:
    fields = value if isinstance(value, dict) else getattr(value, "__dict__", {})
    return next((key for key in _CONDITION_KEYS if key in fields), None)


Condition = Annotated[
    Annotated[ItemCondition, Tag("item")]
    | Annotated[ScoreCondition, Tag("score")]
    | Annotated[AllOf, Tag("all_of")]
    | Annotated[AnyOf, Tag("any_of")]
    | Annotated[CountOf, Tag("of")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition",
        custom_error_message="a condition needs one of the keys: item, score, all_of, any_of, of",
    ),
]
for _model in (AllOf, AnyOf, CountOf):
    _model.model_rebuild()


def conditions_within(condition: Condition) -> Iterator[Condition]:
    """Yield the condition and every condition nested inside it."""
    yield condition
    children: tuple[Condition, ...] = ()
    if isinstance(condition, AllOf):
        children = condition.all_of
    elif isinstance(condition, AnyOf):
        children = condition.any_of
    elif isinstance(condition, CountOf):
        children = condition.of
    for child in children:
        yield from conditions_within(child)


class Licence(DataModel):
    holder: str
    status: Literal["free", "free_with_conditions", "licence_required"]
    item_text: Literal["included", "omitted"]
    copyright: str | None = None
    terms: str
    source: Source


class Parameter(DataModel):
    name: Identifier
    choices: tuple[ChoiceValue, ...] = Field(min_length=1)
    default: ChoiceValue
    help: str
    source: Source

    @model_validator(mode="after")
    def _default_is_a_choice(self) -> Parameter:
        if self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of the choices {list(self.choices)}")
        return self


class Band(DataModel):
    min: int
    max: int
    band: Identifier
    label: str


class BandScheme(DataModel):
    ranges: tuple[Band, ...] = Field(min_length=1)
    source: Source
    # False where the bands are a third-party convention rather than the instrument's own (PSS-10).
    official: bool = True
    note: str | None = None


class Bands(DataModel):
    parameter: Identifier | None = None
    schemes: dict[ChoiceValue, BandScheme] = Field(min_length=1)


class CasenessRule(DataModel):
    when: Condition
    source: Source


class Caseness(DataModel):
    label: str
    parameter: Identifier | None = None
    rules: dict[ChoiceValue, CasenessRule] = Field(min_length=1)


class TotalRule(DataModel):
    method: Literal["sum"] = "sum"
    higher_means: Literal["better", "worse"]
    missing_items: Literal["no_total"]
    missing_items_source: Source
    source: Source


class Subscale(DataModel):
    id: Identifier
    label: str
    items: tuple[ItemId, ...] = Field(min_length=1)
    source: Source


class SkipRule(DataModel):
    """When `when` holds, an unanswered item in `items` was not asked and takes answer `value`."""

    when: Condition
    items: tuple[ItemId, ...] = Field(min_length=1)
    value: int
    source: Source


class CriticalItem(DataModel):
    item: ItemId
    at_least: int
    flag: Identifier
    unanswered_flag: Identifier
    action: str
    source: Source


class FlagRule(DataModel):
    flag: Identifier
    when: Condition
    # Raised instead when unanswered items leave the condition undecided.
    unknown_flag: Identifier | None = None
    risk: bool = False
    action: str | None = None
    source: Source


class DerivedCondition(DataModel):
    name: Identifier
    when: Condition
    source: Source


class DerivedScore(DataModel):
    name: Identifier
    multiply_total_by: int
    source: Source


class Level(DataModel):
    level: Identifier
    when: Condition


class Levels(DataModel):
    """Ordered levels, most severe first: the first whose condition holds is the level."""

    name: Identifier
    order: tuple[Level, ...] = Field(min_length=1)
    otherwise: Identifier
    undetermined_flag: Identifier
    use_as_band: bool = False
    source: Source

    @property
    def names(self) -> tuple[str, ...]:
        return (*(level.level for level in self.order), self.otherwise)


class Instrument(DataModel):
    id: Identifier
    name: str
    title: str
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    aliases: tuple[str, ...] = ()
    period: str | None = None
    preamble: str | None = None
    citation: str
    licence: Licence
    loinc_panel: LoincCoding | None = None
    loinc_total: LoincCoding | None = None
    answer_sets: dict[Identifier, AnswerSet] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)
    parameters: tuple[Parameter, ...] = ()
    total: TotalRule | None = None
    subscales: tuple[Subscale, ...] = ()
    bands: Bands | None = None
    caseness: Caseness | None = None
    skip_rules: tuple[SkipRule, ...] = ()
    critical_items: tuple[CriticalItem, ...] = ()
    flag_rules: tuple[FlagRule, ...] = ()
    derived_conditions: tuple[DerivedCondition, ...] = ()
    derived_scores: tuple[DerivedScore, ...] = ()
    levels: Levels | None = None
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        for check in _INSTRUMENT_CHECKS:
            check(self)
        return self

    def item(self, item_id: str) -> Item:
        return next(item for item in self.items if item.id == item_id)

    def answer_set(self, item: Item) -> AnswerSet:
        return self.answer_sets[item.answers]

    def parameter(self, name: str) -> Parameter:
        return next(parameter for parameter in self.parameters if parameter.name == name)

    def item_score(self, item: Item, response: int) -> int:
        """Score one response; a reversed item mirrors its answer range (PSS-10: 4 - response)."""
        if not item.reverse:
            return response
        values = self.answer_set(item).values
        return min(values) + max(values) - response

    def possible_item_scores(self, item: Item) -> tuple[int, ...]:
        return tuple(sorted(self.item_score(item, value) for value in self.answer_set(item).values))

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @property
    def total_range(self) -> tuple[int, int]:
        scores = [self.possible_item_scores(item) for item in self.scored_items]
        return sum(s[0] for s in scores), sum(s[-1] for s in scores)

    @property
    def min_answer_count(self) -> int:
        """Answers a positional list must hold: up to the last item that is not optional."""
        required = [index for index, item in enumerate(self.items) if not item.optional]
        return required[-1] + 1 if required else 0


def _check_items(instrument: Instrument) -> None:
    ids = [item.id for item in instrument.items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"items: ids repeat: {ids}")
    for index, item in enumerate(instrument.items):
        if item.answers not in instrument.answer_sets:
            raise ValueError(f"items.{index}.answers: no answer set named {item.answers!r}")
        if item.reverse and not instrument.answer_set(item).contiguous:
            raise ValueError(f"items.{index}.reverse: reversed items need a contiguous answer range")


def _check_licence(instrument: Instrument) -> None:
    if instrument.licence.item_text != "omitted":
        return
    with_text = [item.id for item in instrument.items if item.text]
    if with_text:
        raise ValueError(f"licence.item_text is 'omitted' but items {with_text} carry text")


def _all_conditions(instrument: Instrument) -> Iterator[tuple[str, Condition]]:
    groups: list[tuple[str, list[Condition]]] = [
        ("skip_rules", [rule.when for rule in instrument.skip_rules]),
        ("flag_rules", [rule.when for rule in instrument.flag_rules]),
        ("derived_conditions", [rule.when for rule in instrument.derived_conditions]),
        ("levels", [level.when for level in instrument.levels.order] if instrument.levels else []),
        ("caseness", list(_caseness_conditions(instrument))),
    ]
    for field, conditions in groups:
        for condition in conditions:
            for nested in conditions_within(condition):
                yield field, nested


def _caseness_conditions(instrument: Instrument) -> Iterator[Condition]:
    if instrument.caseness:
        yield from (rule.when for rule in instrument.caseness.rules.values())


def _check_references(instrument: Instrument) -> None:
    item_ids = {item.id for item in instrument.items}
    score_ids = {subscale.id for subscale in instrument.subscales} | ({"total"} if instrument.total else set())
    for field, condition in _all_conditions(instrument):
        if isinstance(condition, ItemCondition) and condition.item not in item_ids:
            raise ValueError(f"{field}: no item {condition.item!r}")
        if isinstance(condition, ScoreCondition) and condition.score not in score_ids:
            raise ValueError(f"{field}: no score {condition.score!r} (a subscale id, or 'total')")
    named = [(f"subscales.{s.id}", i) for s in instrument.subscales for i in s.items]
    named += [(f"critical_items.{c.flag}", c.item) for c in instrument.critical_items]
    named += [("skip_rules", i) for rule in instrument.skip_rules for i in rule.items]
    for field, item_id in named:
        if item_id not in item_ids:
            raise ValueError(f"{field}: no item {item_id!r}")


def _check_skip_values(instrument: Instrument) -> None:
    for rule in instrument.skip_rules:
        for item_id in rule.items:
            if rule.value not in instrument.answer_set(instrument.item(item_id)).values:
                raise ValueError(f"skip_rules: value {rule.value} is not an answer to item {item_id!r}")


def _check_parameters(instrument: Instrument) -> None:
    names = [parameter.name for parameter in instrument.parameters]
    if len(set(names)) != len(names):
        raise ValueError(f"parameters: names repeat: {names}")
    if instrument.bands:
        _check_keyed_by_parameter(instrument, "bands", instrument.bands.parameter, instrument.bands.schemes)
    if instrument.caseness:
        caseness = instrument.caseness
        _check_keyed_by_parameter(instrument, "caseness", caseness.parameter, caseness.rules)


def _check_keyed_by_parameter(
    instrument: Instrument, field: str, name: str | None, keyed: Mapping[str, object]
) -> None:
    if name is None:
        expected: set[str] = {"default"}
    elif name in {parameter.name for parameter in instrument.parameters}:
        expected = set(instrument.parameter(name).choices)
    else:
        raise ValueError(f"{field}.parameter: no parameter named {name!r}")
    if set(keyed) != expected:
        raise ValueError(f"{field}: keys {sorted(keyed)} must be exactly {sorted(expected)}")


def _check_bands(instrument: Instrument) -> None:
    if instrument.bands is None:
        return
    if instrument.total is None:
        raise ValueError("bands: an instrument without a total cannot have bands")
    low, high = instrument.total_range
    for name, scheme in instrument.bands.schemes.items():
        expected = low
        for band in scheme.ranges:
            if band.min != expected or band.max < band.min:
                raise ValueError(f"bands.schemes.{name}: {band.band} starts at {band.min}, expected {expected}")
            expected = band.max + 1
        if expected != high + 1:
            raise ValueError(f"bands.schemes.{name}: bands end at {expected - 1}, the total reaches {high}")


def _check_scores(instrument: Instrument) -> None:
    scored = {item.id for item in instrument.scored_items}
    for subscale in instrument.subscales:
        if not set(subscale.items) <= scored:
            raise ValueError(f"subscales.{subscale.id}: every item must be scored")
    if instrument.total is None and instrument.derived_scores:
        raise ValueError("derived_scores: an instrument without a total cannot derive scores from it")


def _check_levels(instrument: Instrument) -> None:
    if instrument.levels is None:
        return
    conditions = [nested for level in instrument.levels.order for nested in conditions_within(level.when)]
    if any(isinstance(condition, ScoreCondition) for condition in conditions):
        raise ValueError("levels: level conditions may read items only")
    item_ids = {c.item for c in conditions if isinstance(c, ItemCondition)}
    sizes = [len(instrument.answer_set(instrument.item(item_id)).values) for item_id in item_ids]
    if _product(sizes) > MAX_LEVEL_COMPLETIONS:
        raise ValueError(f"levels: conditions read too many items to decide missing answers ({sorted(item_ids)})")


def _product(sizes: list[int]) -> int:
    result = 1
    for size in sizes:
        result *= size
    return result


_INSTRUMENT_CHECKS = (
    _check_items,
    _check_licence,
    _check_references,
    _check_skip_values,
    _check_parameters,
    _check_scores,
    _check_bands,
    _check_levels,
)


def fhir_name(instrument: Instrument) -> str:
    """A computer-friendly Questionnaire.name: 'PHQ-9' -> 'PHQ9', 'Daily mood check-in' -> 'DailyMoodCheckIn'."""
    words = re.split(r"[^A-Za-z0-9]+", instrument.name)
    name = "".join(word[:1].upper() + word[1:] for word in words if word)
    return name if name[:1].isalpha() else f"Q{name}"


def fhir_id(instrument: Instrument) -> str:
    return instrument.id.replace("_", "-")


def to_fhir_questionnaire(instrument: Instrument, canonical_base: str = DEFAULT_CANONICAL_BASE) -> dict[str, object]:
    """Render the instrument as a FHIR R4B Questionnaire; answer scores ride on the ordinalValue extension."""
    questionnaire: dict[str, object] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(instrument),
        "url": f"{canonical_base}/{fhir_id(instrument)}",
        "version": instrument.version,
        "name": fhir_name(instrument),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "copyright": _fhir_copyright(instrument.licence),
        "item": [_fhir_item(instrument, item) for item in instrument.items],
    }
    if instrument.loinc_panel:
        questionnaire["code"] = [_loinc_coding(instrument.loinc_panel.code, instrument.loinc_panel.display)]
    if instrument.preamble:
        questionnaire["description"] = instrument.preamble
    return questionnaire


def _fhir_copyright(licence: Licence) -> str:
    return " ".join(part for part in (licence.copyright, licence.terms) if part)


def _fhir_item(instrument: Instrument, item: Item) -> dict[str, object]:
    fhir_item: dict[str, object] = {
        "linkId": item.id,
        "prefix": item.id,
        "type": "choice",
        "required": not item.optional,
        "answerOption": [_fhir_option(instrument, item, option) for option in instrument.answer_set(item).options],
    }
    if item.text:
        fhir_item["text"] = item.text
    if item.loinc:
        fhir_item["code"] = [_loinc_coding(item.loinc, None)]
    return fhir_item | _fhir_enable_when(instrument, item)


def _fhir_enable_when(instrument: Instrument, item: Item) -> dict[str, object]:
    """Skip logic as enableWhen: the item is asked when its controlling answer falls outside the skip rule."""
    rules = [rule for rule in instrument.skip_rules if item.id in rule.items]
    if not rules:
        return {}
    rule = rules[0]
    if len(rules) > 1 or not isinstance(rule.when, ItemCondition):
        return {"required": False}  # too rich for enableWhen: leave it to the app, never force an answer
    controller = instrument.item(rule.when.item)
    asked_when = [
        {
            "question": controller.id,
            "operator": "=",
            "answerCoding": _fhir_option(instrument, controller, option)["valueCoding"],
        }
        for option in instrument.answer_set(controller).options
        if not _score_within(instrument.item_score(controller, option.value), rule.when)
    ]
    return {"enableWhen": asked_when, "enableBehavior": "any"}


def _score_within(score: int, condition: ItemCondition) -> bool:
    above_floor = condition.at_least is None or score >= condition.at_least
    return above_floor and (condition.at_most is None or score <= condition.at_most)


def _fhir_option(instrument: Instrument, item: Item, option: AnswerOption) -> dict[str, object]:
    if option.loinc:
        coding = _loinc_coding(option.loinc, option.loinc_display or option.label)
    else:
        coding = {"system": f"urn:careloop:instrument:{instrument.id}:answers", "code": str(option.value)}
        if option.label:
            coding["display"] = option.label
    extension = {"url": ORDINAL_VALUE_URL, "valueDecimal": instrument.item_score(item, option.value)}
    return {"valueCoding": coding, "extension": [extension]}


def _loinc_coding(code: str, display: str | None) -> dict[str, str]:
    coding = {"system": LOINC_SYSTEM, "code": code}
    if display:
        coding["display"] = display
    return coding
