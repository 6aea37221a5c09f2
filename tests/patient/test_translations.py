"""Every patient-facing string is translated into Spanish and Arabic, with the same placeholders.

The strings are collected from the sources themselves (templates through Django's own ``templatize``,
Python through its syntax tree), so a new string added to a patient page fails this test until it
is in both catalogues — and a catalogue that was not refreshed fails it too.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.utils.translation.template import templatize

from tests.patient.po_files import read_po

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "careloop" / "locale"
# The pages a patient sees, wherever their code lives.
PATIENT_TEMPLATES = [
    *sorted((REPO / "careloop/patient/templates").rglob("*.html")),
    *sorted((REPO / "careloop/interventions/templates").rglob("*.html")),
    REPO / "careloop/templates/base.html",
    *sorted((REPO / "careloop/measures/templates/measures").glob("check_in*.html")),
    *(REPO / "careloop/safety/templates/safety" / name for name in (
        "my_help.html", "help_block.html", "help_now.html", "my_plan.html", "plan_status.html")),
    # /me/messages/ and the thread it shares with the care team's page (not clinician_thread.html)
    *(REPO / "careloop/messaging/templates/messaging" / name for name in ("my_messages.html", "thread.html")),
]
PATIENT_PYTHON = [
    *sorted((REPO / "careloop/patient").glob("*.py")),
    *sorted((REPO / "careloop/interventions").glob("*.py")),
    REPO / "careloop/measures/views.py", REPO / "careloop/measures/meaning.py", REPO / "careloop/safety/plan.py",
    REPO / "careloop/measures/reminders.py",  # check-in and appointment reminders, sent in the patient's language
    REPO / "careloop/safety/templatetags/safety.py",
    # the patient's flash and the send errors shown on /me/messages/ (views.py also holds two care-team strings)
    REPO / "careloop/messaging/views.py", REPO / "careloop/messaging/actions.py",
]
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\((u?'(?:[^'\\]|\\.)*')")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def template_msgids(path: Path) -> set[str]:
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = set()
    for function, literal in TEMPLATE_CALL.findall(code):
        if not function.startswith("p"):  # pgettext's first argument is the context
            found.add(ast.literal_eval(literal))
    return found


def python_msgids(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES:
            position = 1 if node.func.id.startswith("pgettext") else 0
            argument = node.args[position] if len(node.args) > position else None
            if isinstance(argument, ast.Constant):
                found.add(str(argument.value))
    return found


def patient_msgids() -> set[str]:
    return set().union(*map(template_msgids, PATIENT_TEMPLATES), *map(python_msgids, PATIENT_PYTHON))


def test_the_collector_finds_strings_from_templates_and_python() -> None:
    found = patient_msgids()
    assert {"Get help now", "Hello, %(name)s", "due now", "Stop using %(stream)s", "Breathe in"} <= found
    assert {"Write to your care team", "not read yet", "Write a message first."} <= found  # /me/messages/
    assert len(found) > 150


@pytest.mark.parametrize("language", ["es", "ar"])
def test_every_patient_string_is_translated(language: str) -> None:
    catalogue = {entry.msgid: entry for entry in read_po(LOCALE / language / "LC_MESSAGES" / "django.po")}
    missing = sorted(msgid for msgid in patient_msgids() if msgid not in catalogue)
    assert missing == [], f"run makemessages: {language} lacks {missing}"
    untranslated = sorted(msgid for msgid in patient_msgids() if not catalogue[msgid].translated)
    assert untranslated == [], f"{language} has no translation for {untranslated}"


@pytest.mark.parametrize("language", ["es", "ar"])
def test_translations_keep_every_placeholder(language: str) -> None:
    """Singular strings keep exactly their placeholders; a plural form for one exact number (Arabic's
    zero, one and two) may spell the number out, so plural forms may drop, but never add, one."""
    wanted = patient_msgids()
    for entry in read_po(LOCALE / language / "LC_MESSAGES" / "django.po"):
        if entry.msgid not in wanted:
            continue
        expected = set(PLACEHOLDER.findall(entry.msgid))
        found = [set(PLACEHOLDER.findall(text)) for text in entry.msgstr.values()]
        if entry.msgid_plural:
            assert all(names <= expected for names in found), entry.msgid
            assert expected in found, entry.msgid
        else:
            assert found == [expected], entry.msgid


@pytest.mark.parametrize("language", ["es", "ar"])
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    wanted = patient_msgids()
    for entry in read_po(folder / "django.po"):
        if entry.msgid in wanted and not entry.msgid_plural:
            assert catalogue.gettext(entry.msgid) == entry.msgstr[0], f"run compilemessages ({entry.msgid})"
