"""What a score means, in plain words, for the person who just answered.

The numbers (bands, cut-offs) come from the instrument's data file; this module only words them
for a patient, through gettext. It says where the score sits, whether it is at the level where
services usually offer treatment, and that a questionnaire is not a diagnosis.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.measures.instrument_schema import Instrument
from careloop.measures.models import Response
from careloop.measures.queries import band_label

# What each questionnaire asks about, for the sentence "... symptoms of <topic>".
TOPICS = {
    "phq9": gettext_lazy("depression"), "phq8": gettext_lazy("depression"), "phq2": gettext_lazy("depression"),
    "epds": gettext_lazy("depression"), "gad7": gettext_lazy("anxiety"), "gad2": gettext_lazy("anxiety"),
    "pcl5": gettext_lazy("post-traumatic stress"), "isi": gettext_lazy("insomnia"),
    "k10": gettext_lazy("psychological distress"), "pss10": gettext_lazy("stress"),
    "who5": gettext_lazy("low wellbeing"), "audit_c": gettext_lazy("risky drinking"),
}


def score_meaning(instrument: Instrument, response: Response) -> list[str]:
    """Two to four short sentences about this response, most important first."""
    if response.total is None:
        return [_no_total(instrument, response), _care_team_sees()]
    sentences = [_where_it_sits(instrument, response)]
    if response.caseness is not None:
        sentences.append(_caseness(response.caseness))
    return [*sentences, _care_team_sees()]


def _no_total(instrument: Instrument, response: Response) -> str:
    if instrument.total is not None and not response.complete:
        return _("Some questions were left unanswered, so there is no score this time.")
    return _("Thank you. Your answers are saved, and you can see how they change over time.")


def _where_it_sits(instrument: Instrument, response: Response) -> str:
    lowest, highest = instrument.total_range
    score = _("Your score is %(total)s, on a scale from %(lowest)s to %(highest)s.") % {
        "total": response.total, "lowest": lowest, "highest": highest,
    }
    if not response.band:
        return score
    topic = TOPICS.get(instrument.id)
    label = band_label(instrument, response.band)
    if topic is None:
        return score + " " + _("That is in the “%(band)s” range.") % {"band": label}
    return score + " " + _("That is in the “%(band)s” range for %(topic)s.") % {"band": label, "topic": topic}


def _caseness(at_caseness: bool) -> str:
    if at_caseness:
        return _("This is at the level where services usually offer treatment or a closer look together.")
    return _("This is below the level where services usually offer treatment.")


def _care_team_sees() -> str:
    return _("Your care team can see your answers and will talk them through with you. "
             "A questionnaire on its own is not a diagnosis.")
