"""Patient-facing words for consent purposes and data streams, translated, each with a plain summary.

The consent models keep their English labels for staff pages; the patient reads these, in their
language, at reading grade 8 or below (tests/patient/test_readability.py measures it).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PURPOSES: dict[str, Promise] = {
    "research": _("Research"),
    "personalisation": _("Personalisation"),
    "sharing": _("Sharing with your health record"),
}
PURPOSE_SUMMARIES: dict[str, Promise] = {
    "research": _("We use your data without your name to learn what helps people. You can stop at any time."),
    "personalisation": _("We use your data to pick exercises and good times for reminders. You can stop at any time."),
    "sharing": _("We send your results to the health record your doctor uses. You can stop at any time."),
}
STREAMS: dict[str, Promise] = {
    "questionnaires": _("Questionnaires"),
    "mood": _("Daily mood"),
    "free_text": _("What you write (diaries, messages)"),
    "steps": _("Steps and activity"),
    "heart_rate": _("Heart rate"),
    "sleep": _("Sleep"),
    "location": _("Location"),
    "accelerometer": _("Phone movement"),
    "phone_use": _("Phone use"),
    "calls_and_texts": _("Calls and texts (counts only)"),
}
CARE_SUMMARY = _(
    "Your care team always sees your answers. That is how they look after you. It does not need a tick here."
)
ERASURE_SUMMARY = _(
    "We will delete your data from this app. By law we must keep your health record for some years. "
    "We keep only what the law asks, and only your care team can see it. We will tell you what we kept and why."
)
EXPORT_SUMMARY = _("You can get a copy of all your data. It comes as one file you can open on a computer.")
