"""The Stanley–Brown safety plan: its six sections, the warnings a plan raises, and when it needs review.

Six sections in the order of the Safety Planning Intervention (Stanley & Brown 2012, Cogn Behav Pract
19:256; safety-privacy-ethics.md §3.3 [V]). The plan is collaborative, never a no-suicide contract. A
plan warns when it names no person to ask for help (section 4) or no professional or crisis contact
(section 5): missing a help contact was associated with worse outcomes (VA San Diego 2022, OR 2.11).
A clinician co-signs before the plan counts as reviewed, and every Red or Amber alert opened after the
last co-signature prompts a review (§7.D item 42). Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SECTIONS: tuple[tuple[str, Promise, Promise], ...] = (
    ("warning_signs", _("1. Warning signs"),
     _("Thoughts, images, moods, situations or behaviour that tell me a crisis may be starting.")),
    ("coping_strategies", _("2. Things I can do on my own"),
     _("What I can do to take my mind off my problems without contacting anyone.")),
    ("distractions", _("3. People and places that take my mind off things"),
     _("People and social settings that help me feel better or distract me.")),
    ("help_contacts", _("4. People I can ask for help"), _("Names and phone numbers of people I can talk to.")),
    ("professional_contacts", _("5. Professionals and crisis lines"),
     _("My clinician, my care team, urgent care and the crisis lines for my country.")),
    ("safe_environment", _("6. Making my surroundings safe"),
     _("How I can keep myself safe, for example by putting medicines or other means out of reach.")),
)
SECTION_FIELDS = tuple(field for field, _title, _help in SECTIONS)
REVIEW_SEVERITIES = frozenset({"high", "moderate"})


def plan_warnings(sections: Mapping[str, str]) -> list[Promise]:
    """What is missing from a plan that the evidence says matters."""
    warnings: list[Promise] = []
    if not sections.get("help_contacts", "").strip():
        warnings.append(_("No person to ask for help is listed (section 4)."))
    if not sections.get("professional_contacts", "").strip():
        warnings.append(_("No professional or crisis contact is listed (section 5)."))
    return warnings


@dataclass(frozen=True)
class AlertMoment:
    severity: str
    opened_at: datetime


def needs_review(cosigned_at: datetime | None, alerts: Iterable[AlertMoment]) -> bool:
    """True when a Red or Amber alert opened since the plan was last co-signed (or it never was)."""
    return any(
        alert.severity in REVIEW_SEVERITIES and (cosigned_at is None or alert.opened_at > cosigned_at)
        for alert in alerts
    )
