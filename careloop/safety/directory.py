"""The crisis directory: which numbers a patient sees, and which entries are due for re-verification.

Resources come only from ``data/crisis_directory.yaml``, chosen by the patient's country (falling back
to the organisation's), with lines in the patient's language first and the emergency number always
included. The order is fixed by the data: crisis resources are never randomised or personalised away
(safety-privacy-ethics.md §3.4). ``stale_entries`` feeds the system check ``careloop.safety.W001``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from careloop.safety.schema import CrisisContact, crisis_directory

MAX_AGE_DAYS = 90  # safety-privacy-ethics.md §3.4 and §7.D item 35: last_verified within 90 days


def contacts_for(country: str, language: str) -> tuple[CrisisContact, ...]:
    """Crisis lines (the patient's language first), then text lines, then the emergency number."""
    entry = crisis_directory().countries.get(country.upper())
    if entry is None:
        return ()
    lang = language.split("-")[0]
    order = {"crisis_line": 0, "text_line": 1, "emergency": 2}
    ranked = sorted(
        enumerate(entry.resources),
        key=lambda pair: (order[pair[1].kind], lang not in pair[1].languages, pair[0]),
    )
    return tuple(contact for _, contact in ranked)


def resource_line(contact: CrisisContact) -> str:
    """One line of plain text for the API and the findings list, e.g. 'Samaritans: call 116 123 (24/7, free)'."""
    ways = [f"call {contact.call}" if contact.call else "", f"text {contact.text}" if contact.text else ""]
    return f"{contact.name}: {' or '.join(way for way in ways if way)} ({contact.hours}, {contact.cost})"


@dataclass(frozen=True)
class StaleEntry:
    country: str
    contact_id: str
    last_verified: date


def stale_entries(today: date, max_age_days: int = MAX_AGE_DAYS) -> list[StaleEntry]:
    return [
        StaleEntry(code, contact.id, contact.last_verified)
        for code, country in crisis_directory().countries.items()
        for contact in country.resources
        if (today - contact.last_verified).days > max_age_days
    ]
