"""Content packs are data: every module loads, ships in English, Spanish and Arabic, and agrees across languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from careloop.interventions.content import (
    CONTENT_DIR,
    ContentFileError,
    UnknownModuleError,
    get_module,
    list_modules,
    load_module_file,
    module_ids,
)
from careloop.interventions.markdown import render_markdown

REQUIRED = {"psychoed_depression", "psychoed_anxiety", "psychoed_sleep", "thought_record", "behavioural_activation",
            "breathing_pacer", "grounding_54321", "sleep_diary", "dbt_diary_card", "worry_time"}


def test_every_required_module_exists() -> None:
    assert set(module_ids()) >= REQUIRED


@pytest.mark.parametrize("module_id", sorted(REQUIRED))
@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_each_module_ships_in_each_language_with_the_same_fields(module_id: str, language: str) -> None:
    english, translated = get_module(module_id, "en"), get_module(module_id, language)
    assert translated.language == language
    assert (translated.version, translated.kind) == (english.version, english.kind)
    assert translated.evidence == english.evidence
    assert [(f.name, f.type, f.min, f.max, [c for c, _ in f.choices]) for f in translated.fields] == [
        (f.name, f.type, f.min, f.max, [c for c, _ in f.choices]) for f in english.fields]
    assert translated.title
    assert translated.body


def test_an_unknown_language_falls_back_to_english_and_a_regional_one_to_its_base() -> None:
    assert get_module("thought_record", "fr").language == "en"
    assert get_module("thought_record", "es-MX").language == "es"
    with pytest.raises(UnknownModuleError):
        get_module("no_such_module")


def test_psychoeducation_comes_first_in_the_list() -> None:
    kinds = [m.kind for m in list_modules("ar")]
    assert kinds == sorted(kinds, key=lambda k: k != "psychoeducation")


def test_a_file_whose_id_differs_from_its_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "wrong"
    folder.mkdir()
    source = (CONTENT_DIR / "thought_record" / "en.md").read_text(encoding="utf-8")
    (folder / "en.md").write_text(source, encoding="utf-8")
    with pytest.raises(ContentFileError, match="differs from its folder"):
        load_module_file(folder / "en.md")


def test_markdown_is_escaped_before_it_is_formatted() -> None:
    html = render_markdown("<script>alert(1)</script> **bold**\n\n1. one\n2. two")
    assert "<script>" not in html
    assert "<strong>bold</strong>" in html
    assert "<ol><li>one</li><li>two</li></ol>" in html
