"""Plain-language summaries a patient reads before a consent decision are at reading grade 8 or below."""

from __future__ import annotations

import pytest
from django.utils import translation

from careloop.demo import builder
from careloop.patient import labels
from careloop.patient.readability import flesch_kincaid_grade, syllables

GRADE_LIMIT = 8.0


@pytest.mark.parametrize(("word", "count"), [
    ("the", 1), ("data", 2), ("consent", 2), ("research", 2), ("personalisation", 6), ("time", 1),
    ("table", 2), ("used", 1), ("stopped", 1), ("reminders", 3), ("anytime", 3), ("health", 1),
])
def test_the_syllable_counter_agrees_with_a_dictionary_on_common_words(word: str, count: int) -> None:
    assert syllables(word) == count


def test_the_grade_of_known_texts() -> None:
    assert flesch_kincaid_grade("The cat sat on the mat.") < 1
    hard = ("Notwithstanding the aforementioned considerations, pseudonymised longitudinal observational "
            "information may subsequently be disseminated to institutional collaborators.")
    assert flesch_kincaid_grade(hard) > 16


def summaries() -> list[tuple[str, str]]:
    with translation.override("en"):
        found = [(f"purpose:{k}", str(v)) for k, v in labels.PURPOSE_SUMMARIES.items()]
        found += [("care", str(labels.CARE_SUMMARY)), ("erasure", str(labels.ERASURE_SUMMARY)),
                  ("export", str(labels.EXPORT_SUMMARY))]
    return found


@pytest.mark.parametrize(("name", "text"), summaries(), ids=[name for name, _ in summaries()])
def test_every_consent_and_data_rights_summary_is_grade_8_or_below(name: str, text: str) -> None:
    assert flesch_kincaid_grade(text) <= GRADE_LIMIT, f"{name}: grade {flesch_kincaid_grade(text):.1f}: {text}"


@pytest.mark.django_db
def test_the_demo_consent_documents_summaries_are_grade_8_or_below(world: object) -> None:
    from careloop.accounts.models import Organisation

    documents = builder._consent_documents(Organisation.objects.create(name="Demo", slug="demo", country="GB"))
    for document in documents.values():
        assert flesch_kincaid_grade(document.summary) <= GRADE_LIMIT, document.summary
