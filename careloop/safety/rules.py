"""Pure risk-rule evaluation: facts in, rule hits out; no database, no clock, no network.

``evaluate_response`` reads one scored answer (item scores after skip rules, total, band, and the first
score of the open episode) against the data-driven rules in ``rules/risk_rules.yaml``; ``evaluate_text``
runs the multilingual crisis lexicon over free text; ``missed_check_in_hits`` covers silence while a
risk alert is open. Conditions use the measures' three-valued logic, so an unanswered item can fire a
rule (``match: [unknown]``) instead of passing as "no". A hit carries its rule's id, version, severity
and source; nothing here ever says that no risk was found.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from careloop.measures.outcomes import outcome_rules
from careloop.measures.scoring import Facts
from careloop.measures.scoring import evaluate as evaluate_condition
from careloop.safety.schema import (
    BandRule,
    ConditionRule,
    DeteriorationRule,
    Lexicon,
    Rule,
    RuleSet,
    Severity,
)


@dataclass(frozen=True)
class ResponseFacts:
    """What the rules read from one saved answer."""

    instrument_id: str
    item_scores: Mapping[str, int | None]
    scores: Mapping[str, int | None]  # "total" and subscale ids
    band: str | None
    baseline_total: int | None = None  # first score of this measure in the open episode


@dataclass(frozen=True)
class RuleHit:
    """One rule that fired, with everything an alert must record about it."""

    rule_id: str
    rule_version: str
    severity: Severity
    message: str
    title: str
    source: str
    next_step: str | None = None
    detail: str = ""


def hit(rule: Rule, detail: str = "") -> RuleHit:
    return RuleHit(rule.id, rule.version, rule.severity, rule.message, rule.title, rule.source, rule.next_step, detail)


def evaluate_response(facts: ResponseFacts, rules: RuleSet) -> list[RuleHit]:
    """Every rule the answer fires, keeping only the strongest hit of each group."""
    hits = [h for rule in rules.rules if (h := _response_hit(rule, facts)) is not None]
    return strongest_per_group(hits, rules)


def _response_hit(rule: Rule, facts: ResponseFacts) -> RuleHit | None:
    if isinstance(rule, ConditionRule) and rule.instrument == facts.instrument_id:
        state = evaluate_condition(rule.when, Facts(items=facts.item_scores, scores=facts.scores))
        return hit(rule) if ("unknown" if state is None else state) in rule.match else None
    if isinstance(rule, BandRule) and rule.instrument == facts.instrument_id and facts.band in rule.bands:
        return hit(rule, f"band {facts.band}")
    if isinstance(rule, DeteriorationRule) and facts.instrument_id in rule.instruments:
        return _deterioration_hit(rule, facts)
    return None


def _deterioration_hit(rule: DeteriorationRule, facts: ResponseFacts) -> RuleHit | None:
    total, baseline = facts.scores.get("total"), facts.baseline_total
    threshold = reliable_change_thresholds().get(facts.instrument_id)
    if total is None or baseline is None or threshold is None:
        return None
    rise = total - baseline
    return hit(rule, f"{baseline} → {total} (reliable change {threshold})") if rise >= threshold else None


@functools.cache
def reliable_change_thresholds() -> dict[str, Decimal]:
    """Reliable-change points per measure, from the measures' outcome rules (NHS Talking Therapies)."""
    return {key: rule.reliable_change for key, rule in outcome_rules().measures.items() if rule.reliable_change}


def strongest_per_group(hits: Iterable[RuleHit], rules: RuleSet) -> list[RuleHit]:
    groups = {rule.id: rule.group for rule in rules.rules}
    best: dict[str, RuleHit] = {}
    kept: list[RuleHit] = []
    for found in hits:
        group = groups.get(found.rule_id)
        if group is None:
            kept.append(found)
        elif group not in best or found.severity.rank > best[group].severity.rank:
            best[group] = found
    return kept + list(best.values())


def strongest(hits: Iterable[RuleHit]) -> Severity | None:
    """The highest severity among the hits, or None when there are none."""
    return max((found.severity for found in hits), key=lambda severity: severity.rank, default=None)


# --- Free text -----------------------------------------------------------------------------------

ARABIC_FOLDS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None})


def normalised(text: str) -> str:
    """Case-folded, accents and Arabic diacritics removed, Arabic letter variants folded, spaces collapsed."""
    folded = text.casefold().replace("’", "'").translate(ARABIC_FOLDS)
    decomposed = unicodedata.normalize("NFKD", folded)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(unicodedata.normalize("NFKC", bare).translate(ARABIC_FOLDS).split())


@dataclass(frozen=True)
class LexiconMatch:
    language: str
    category: str
    term: str


@functools.cache
def _pattern(term: str, stem: bool, language: str) -> re.Pattern[str]:
    body = re.escape(normalised(term))
    if language == "ar" or not term[0].isalnum():
        return re.compile(body)  # attached Arabic prefixes; emoji have no word boundaries
    return re.compile(rf"(?<!\w){body}" + ("" if stem else r"(?!\w)"))


def scan_text(text: str, lexicon: Lexicon) -> list[LexiconMatch]:
    """Every lexicon term found in ``text``, in every language."""
    clean = normalised(text)
    return [
        LexiconMatch(language, category, entry.term)
        for language, categories in lexicon.terms.items()
        for category, entries in categories.items()
        for entry in entries
        if _pattern(entry.term, entry.stem, language).search(clean)
    ]


def evaluate_text(text: str, rules: RuleSet, lexicon: Lexicon) -> list[RuleHit]:
    """A free-text rule hit when any lexicon term is found; never a statement that nothing was."""
    matches = scan_text(text, lexicon)
    if not matches:
        return []
    detail = ", ".join(sorted({f"{m.language}/{m.category}" for m in matches}))
    return [hit(rule, detail) for rule in rules.of_kind("free_text")]


def missed_check_in_hits(open_severities: Iterable[Severity], missed: bool, rules: RuleSet) -> list[RuleHit]:
    """A hit when a check-in was missed while an alert of a watched severity is open."""
    open_now = set(open_severities)
    return [
        hit(rule, "scheduled check-in missed while an alert is open")
        for rule in rules.of_kind("missed_check_in")
        if missed and open_now & set(getattr(rule, "while_open", ()))
    ]
