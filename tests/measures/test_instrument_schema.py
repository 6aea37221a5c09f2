"""Instrument data files: every shipped file validates, renders a valid FHIR Questionnaire, and keeps its
licence and LOINC promises; a broken admin file is refused with the field named."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from fhir.resources.R4B.questionnaire import Questionnaire

from careloop.measures.instrument_schema import Instrument, fhir_name, to_fhir_questionnaire
from careloop.measures.instruments_registry import (
    INSTRUMENTS_DIR,
    InstrumentFileError,
    UnknownInstrumentError,
    builtin_instruments,
    find_instrument,
    index_by_name,
    load_instrument_file,
)

SHIPPED = ["phq9", "phq8", "phq2", "gad7", "gad2", "who5", "pcl5", "k10", "isi", "audit_c", "pss10", "epds",
           "cssrs_screener", "mood_checkin"]
ALL = sorted(builtin_instruments().values(), key=lambda instrument: instrument.id)

MINIMAL = {
    "id": "tiny",
    "name": "Tiny-2",
    "title": "A two-item test instrument",
    "version": "0.1.0",
    "citation": "Made up for tests.",
    "licence": {"holder": "Us", "status": "free", "item_text": "included", "terms": "Free.", "source": "test"},
    "answer_sets": {"yes_no": {"source": "test", "options": [{"value": 0, "label": "No"}, {"value": 1}]}},
    "items": [{"id": "1", "answers": "yes_no", "text": "One?"}, {"id": "2", "answers": "yes_no"}],
    "total": {"higher_means": "worse", "source": "test", "missing_items": "no_total", "missing_items_source": "test"},
    "bands": {"schemes": {"default": {"source": "test", "ranges": [
        {"min": 0, "max": 0, "band": "none", "label": "None"},
        {"min": 1, "max": 2, "band": "some", "label": "Some"},
    ]}}},
}


def write_instrument(tmp_path: Path, data: Mapping[str, object]) -> Path:
    path = tmp_path / "instrument.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_it_ships_every_instrument_of_the_issue() -> None:
    assert sorted(builtin_instruments()) == sorted(SHIPPED)
    assert len(list(INSTRUMENTS_DIR.glob("*.yaml"))) == len(SHIPPED)


@pytest.mark.parametrize("instrument", ALL, ids=lambda instrument: instrument.id)
def test_it_renders_a_valid_fhir_questionnaire(instrument: Instrument) -> None:
    questionnaire = Questionnaire.model_validate(to_fhir_questionnaire(instrument))
    assert [item.linkId for item in questionnaire.item or []] == [item.id for item in instrument.items]
    assert questionnaire.version == instrument.version


@pytest.mark.parametrize("instrument", ALL, ids=lambda instrument: instrument.id)
def test_it_carries_item_text_only_where_the_licence_allows(instrument: Instrument) -> None:
    texts = [item.text for item in instrument.items]
    if instrument.licence.item_text == "omitted":
        assert texts == [None] * len(texts)
    else:
        assert all(texts)


def test_it_omits_text_for_the_licensed_instruments() -> None:
    for name in ("ISI", "EPDS", "C-SSRS", "PSS-10"):
        assert find_instrument(name).licence.item_text == "omitted"


def test_it_carries_the_verified_loinc_codes() -> None:
    phq9 = find_instrument("PHQ-9")
    assert phq9.loinc_panel is not None
    assert phq9.loinc_panel.code == "44249-1"
    assert phq9.loinc_total is not None
    assert phq9.loinc_total.code == "44261-6"
    assert [item.loinc for item in phq9.items][:9] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
    gad7 = find_instrument("GAD-7")
    assert gad7.loinc_total is not None
    assert gad7.loinc_total.code == "70274-6"
    # LOINC codes value 2 of GAD-7 item 2 as "More days than not" (LA18938-3), unlike the other items.
    assert [option.loinc for option in gad7.answer_set(gad7.item("2")).options][2] == "LA18938-3"


def test_it_hard_codes_no_unverified_loinc_code() -> None:
    unverified = {"55757-9", "55758-7", "71354-5", "99046-5", "101697-1", "101698-9", "93373-9", "68517-2",
                  "69726-8", "73831-0", "58148-8", "76504-0"}
    text = " ".join(path.read_text(encoding="utf-8") for path in INSTRUMENTS_DIR.glob("*.yaml"))
    used = {instrument.loinc_panel.code for instrument in ALL if instrument.loinc_panel}
    used |= {item.loinc for instrument in ALL for item in instrument.items if item.loinc}
    assert not used & unverified
    assert "69726-8" not in text


def test_it_maps_phq9_difficulty_codes_out_of_order() -> None:
    phq9 = find_instrument("phq9")
    codes = [option.loinc for option in phq9.answer_set(phq9.item("10")).options]
    assert codes == ["LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"]


def test_it_puts_answer_scores_on_the_fhir_options() -> None:
    questionnaire = to_fhir_questionnaire(find_instrument("PSS-10"))
    items = questionnaire["item"]
    assert isinstance(items, list)
    reversed_item = next(item for item in items if item["linkId"] == "4")
    scores = [option["extension"][0]["valueDecimal"] for option in reversed_item["answerOption"]]
    assert scores == [4, 3, 2, 1, 0]


def test_it_renders_skip_logic_as_enable_when() -> None:
    items = to_fhir_questionnaire(find_instrument("C-SSRS"))["item"]
    assert isinstance(items, list)
    q3 = next(item for item in items if item["linkId"] == "3")
    assert [rule["answerCoding"]["code"] for rule in q3["enableWhen"]] == ["1"]
    assert q3["enableWhen"][0]["question"] == "2"


def test_it_names_questionnaires_for_machines() -> None:
    assert fhir_name(find_instrument("PHQ-9")) == "PHQ9"
    assert fhir_name(find_instrument("mood")) == "DailyMoodCheckIn"


@pytest.mark.parametrize("name", ["PHQ-9", "phq9", "Phq 9", "PHQ9", "phq-9"])
def test_it_finds_instruments_case_insensitively(name: str) -> None:
    assert find_instrument(name).id == "phq9"


def test_it_refuses_an_unknown_instrument() -> None:
    with pytest.raises(UnknownInstrumentError, match="PHQ-10"):
        find_instrument("PHQ-10")


def test_it_refuses_two_instruments_with_one_name() -> None:
    clash = Instrument.model_validate({**MINIMAL, "aliases": ["phq-9"]})
    with pytest.raises(InstrumentFileError, match="phq9"):
        index_by_name([find_instrument("PHQ-9"), clash])


def test_it_loads_an_admins_instrument_file(tmp_path: Path) -> None:
    instrument = load_instrument_file(write_instrument(tmp_path, MINIMAL))
    assert instrument.total_range == (0, 2)
    assert find_instrument("tiny 2", [instrument]) is instrument


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bands": {"schemes": {"default": {"source": "test", "ranges": [
            {"min": 0, "max": 0, "band": "none", "label": "N"}, {"min": 2, "max": 2, "band": "b", "label": "B"}]}}}},
         "bands.schemes.default: b starts at 2, expected 1"),
        ({"answer_sets": {"yes_no": {"options": [{"value": 0}, {"value": 1}]}}}, "answer_sets.yes_no.source"),
        ({"licence": {**MINIMAL["licence"], "item_text": "omitted"}}, "licence.item_text"),  # type: ignore[dict-item]
        ({"items": [{"id": "1", "answers": "yes_no"}, {"id": "2", "answers": "nope"}]}, "items.1.answers"),
        ({"items": [{"id": "1", "answers": "yes_no", "colour": "red"}]}, "items.0.colour"),
        ({"version": "one"}, "version"),
        ({"flag_rules": [{"flag": "x", "when": {"item": "9", "at_least": 1}, "source": "test"}]}, "no item '9'"),
        ({"flag_rules": [{"flag": "x", "when": {"items": "1"}, "source": "test"}]}, "a condition needs one of"),
        ({"caseness": {"label": "c", "parameter": "sex", "rules": {}}}, "caseness"),
        ({"skip_rules": [{"when": {"item": "1", "at_most": 0}, "items": ["2"], "value": 7, "source": "test"}]},
         "skip_rules: value 7"),
    ],
)
def test_it_names_the_field_of_a_broken_file(tmp_path: Path, change: dict[str, object], field: str) -> None:
    with pytest.raises(InstrumentFileError) as error:
        load_instrument_file(write_instrument(tmp_path, {**MINIMAL, **change}))
    assert field in str(error.value)
    assert "instrument.yaml" in str(error.value)


def test_it_reports_unreadable_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(InstrumentFileError, match="cannot read"):
        load_instrument_file(path)


def test_it_cites_a_source_for_every_rule() -> None:
    for instrument in ALL:
        sources = [instrument.licence.source, *(answers.source for answers in instrument.answer_sets.values())]
        if instrument.total:
            sources += [instrument.total.source, instrument.total.missing_items_source]
        if instrument.caseness:
            sources += [rule.source for rule in instrument.caseness.rules.values()]
        if instrument.bands:
            sources += [scheme.source for scheme in instrument.bands.schemes.values()]
        sources += [rule.source for rule in instrument.critical_items]
        sources += [rule.source for rule in instrument.flag_rules]
        assert all(len(source) > 10 for source in sources), instrument.id
