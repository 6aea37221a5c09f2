"""Pydantic schemas of the safety data files, and their loaders.

Risk rules (``rules/risk_rules.yaml``), the crisis-language lexicon (``rules/crisis_lexicon.yaml``), the
default escalation ladders (``rules/escalation.yaml``) and the crisis directory
(``data/crisis_directory.yaml``) are clinical knowledge kept as data. Each model refuses unknown keys,
demands a ``source`` for every rule and number, and checks cross-references (instruments, items, bands,
message ids), so a mistyped file fails loudly at start-up and in the tests, never silently at runtime.
"""

from __future__ import annotations

import functools
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from careloop.measures.instrument_schema import Condition, Instrument
from careloop.measures.instruments_registry import builtin_instruments

RULES_DIR = Path(__file__).with_name("rules")
DATA_DIR = Path(__file__).with_name("data")
LANGUAGES = ("en", "es", "ar")
SemVer = Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
Source = Annotated[str, Field(min_length=10)]


class Severity(StrEnum):
    """Alert severity; the reference's Red / Amber / Yellow (safety-privacy-ethics.md §3.2)."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 3, "moderate": 2, "low": 1}[self.value]

    @property
    def colour(self) -> str:
        return {"high": "Red", "moderate": "Amber", "low": "Yellow"}[self.value]


class DataModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleBase(DataModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: SemVer
    title: str
    severity: Severity
    message: str
    source: Source
    group: str | None = None
    next_step: str | None = None  # an instrument the patient is led into at once (the C-SSRS)


class ConditionRule(RuleBase):
    kind: Literal["condition"]
    instrument: str
    when: Condition
    match: tuple[Literal[True] | Literal["unknown"], ...] = Field(min_length=1)


class BandRule(RuleBase):
    kind: Literal["band"]
    instrument: str
    bands: tuple[str, ...] = Field(min_length=1)


class DeteriorationRule(RuleBase):
    kind: Literal["reliable_deterioration"]
    instruments: tuple[str, ...] = Field(min_length=1)


class FreeTextRule(RuleBase):
    kind: Literal["free_text"]
    lexicon: str


class MissedCheckInRule(RuleBase):
    kind: Literal["missed_check_in"]
    while_open: tuple[Severity, ...] = Field(min_length=1)


Rule = Annotated[
    ConditionRule | BandRule | DeteriorationRule | FreeTextRule | MissedCheckInRule, Field(discriminator="kind")
]


class RuleSet(DataModel):
    version: SemVer
    rules: tuple[Rule, ...]
    messages: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        for rule in self.rules:
            _check_rule(rule, self.messages)
        return self

    def of_kind(self, kind: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.kind == kind]

    def message(self, key: str, language: str) -> str:
        texts = self.messages[key]
        return texts.get(language.split("-")[0], texts["en"])


def _check_rule(rule: Rule, messages: dict[str, dict[str, str]]) -> None:
    if set(messages.get(rule.message, {})) < set(LANGUAGES):
        raise ValueError(f"rule {rule.id}: message {rule.message!r} needs text in {', '.join(LANGUAGES)}")
    instruments = builtin_instruments()
    if rule.next_step is not None and rule.next_step not in instruments:
        raise ValueError(f"rule {rule.id}: next_step {rule.next_step!r} is not an instrument")
    if isinstance(rule, ConditionRule | BandRule):
        _check_instrument_rule(rule, instruments.get(rule.instrument))
    if isinstance(rule, DeteriorationRule):
        unknown = [key for key in rule.instruments if key not in instruments]
        if unknown:
            raise ValueError(f"rule {rule.id}: unknown instruments {unknown}")


def _check_instrument_rule(rule: ConditionRule | BandRule, instrument: Instrument | None) -> None:
    if instrument is None:
        raise ValueError(f"rule {rule.id}: unknown instrument {rule.instrument!r}")
    if isinstance(rule, BandRule):
        schemes = instrument.bands.schemes.values() if instrument.bands else ()
        known = {band.band for scheme in schemes for band in scheme.ranges}
        if not set(rule.bands) <= known:
            raise ValueError(f"rule {rule.id}: bands {sorted(set(rule.bands) - known)} not in {instrument.id}")


class LexiconTerm(DataModel):
    term: str = Field(min_length=1)
    stem: bool = False


def _as_term(value: object) -> object:
    return {"term": value} if isinstance(value, str) else value


class Lexicon(DataModel):
    version: SemVer
    source: Source
    terms: dict[str, dict[str, tuple[LexiconTerm, ...]]]

    @model_validator(mode="before")
    @classmethod
    def _strings_are_terms(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        terms = data.get("terms", {})
        data["terms"] = {
            language: {category: [_as_term(term) for term in listed] for category, listed in groups.items()}
            for language, groups in terms.items()
        }
        return data

    @model_validator(mode="after")
    def _every_language(self) -> Lexicon:
        missing = [language for language in LANGUAGES if language not in self.terms]
        if missing:
            raise ValueError(f"the lexicon needs terms in {missing}")
        return self


class Offset(DataModel):
    minutes: int = Field(ge=0)
    clock: Literal["wall", "working"]


Recipient = Literal["primary", "backup", "supervisor", "on_call"]


class Rung(DataModel):
    after: Offset
    notify: tuple[Recipient, ...] = Field(min_length=1)
    out_of_hours: tuple[Recipient, ...] | None = None
    runbook: bool = False


class SeverityLadder(DataModel):
    acknowledge_within: Offset
    ceiling: Offset
    rungs: tuple[Rung, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _starts_at_once(self) -> SeverityLadder:
        if self.rungs[0].after.minutes != 0:
            raise ValueError("the first rung must notify at once (after 0 minutes)")
        return self


class Escalation(DataModel):
    version: SemVer
    source: Source
    severities: dict[Severity, SeverityLadder]

    @model_validator(mode="after")
    def _every_severity(self) -> Escalation:
        if set(self.severities) != set(Severity):
            raise ValueError("escalation needs a ladder for high, moderate and low")
        return self


class CrisisContact(DataModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    kind: Literal["crisis_line", "text_line", "emergency"]
    call: str | None = Field(default=None, pattern=r"^[0-9][0-9 \-]*$")
    text: str | None = Field(default=None, pattern=r"^[0-9][0-9 \-]*$")
    hours: str
    cost: str
    languages: tuple[str, ...] = Field(min_length=1)
    source: Source
    confidence: Literal["V", "S", "R"]
    last_verified: date
    verified_how: str

    @model_validator(mode="after")
    def _reachable(self) -> CrisisContact:
        if self.call is None and self.text is None:
            raise ValueError(f"{self.id}: a contact needs a number to call or to text")
        return self

    @property
    def tel(self) -> str:
        return "".join(ch for ch in self.call or "" if ch.isdigit())

    @property
    def sms(self) -> str:
        return "".join(ch for ch in self.text or "" if ch.isdigit())


class Country(DataModel):
    name: str
    resources: tuple[CrisisContact, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_emergency(self) -> Country:
        if not any(contact.kind == "emergency" for contact in self.resources):
            raise ValueError(f"{self.name}: every country needs its emergency number")
        return self


class CrisisDirectory(DataModel):
    version: SemVer
    countries: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], Country]


def _load(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def risk_rules() -> RuleSet:
    return RuleSet.model_validate(_load(RULES_DIR / "risk_rules.yaml"))


@functools.cache
def crisis_lexicon() -> Lexicon:
    return Lexicon.model_validate(_load(RULES_DIR / "crisis_lexicon.yaml"))


@functools.cache
def default_escalation() -> Escalation:
    return Escalation.model_validate(_load(RULES_DIR / "escalation.yaml"))


@functools.cache
def crisis_directory() -> CrisisDirectory:
    return CrisisDirectory.model_validate(_load(DATA_DIR / "crisis_directory.yaml"))
