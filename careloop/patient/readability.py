"""Flesch–Kincaid grade level of English text, with a small syllable counter (no dependency).

Grade = 0.39 × (words / sentences) + 11.8 × (syllables / words) − 15.59 (Kincaid et al., 1975).
The syllable counter counts vowel groups, drops a silent final "e", and counts at least one per
word; like every heuristic counter it is within about a syllable of a dictionary for most words,
which is accurate enough to hold plain-language summaries at grade 8 or below.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_SILENT_E = re.compile(r"[^aeiouy]e$")
_CONSONANT_LE = re.compile(r"[^aeiouy]le$")


def syllables(word: str) -> int:
    word = word.lower().replace("'", "")
    if len(word) <= 3:
        return 1
    count = len(_VOWEL_GROUPS.findall(word))
    if _SILENT_E.search(word) and not _CONSONANT_LE.search(word):
        count -= 1
    if word.endswith(("ed", "es")) and not word.endswith(("ted", "ded", "ses", "zes", "ces", "ges")):
        count -= 1 if count > 1 else 0
    return max(count, 1)


def flesch_kincaid_grade(text: str) -> float:
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(len(_SENTENCE_END.findall(text.strip() + " ")), 1)
    total_syllables = sum(syllables(word) for word in words)
    return 0.39 * len(words) / sentences + 11.8 * total_syllables / len(words) - 15.59
