"""`careloop score`: one JSON object on stdout, exit 0 for valid input (complete or not), 2 otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from careloop.measures.instruments_registry import INSTRUMENTS_DIR

KEYS = {"instrument", "total", "band", "caseness", "flags", "subscales", "complete", "errors"}


def run_score(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("score", *args, stdout=out)
    return dict(json.loads(out.getvalue()))


def run_invalid(*args: str) -> dict[str, object]:
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("score", *args, stdout=out)
    assert error.value.returncode == 2
    return dict(json.loads(out.getvalue()))


def test_it_prints_the_score_as_json() -> None:
    data = run_score("PHQ-9", "2", "2", "2", "2", "2", "1", "1", "1", "0")
    assert set(data) >= KEYS
    assert (data["instrument"], data["total"], data["band"], data["caseness"]) == ("PHQ-9", 13, "moderate", True)
    assert (data["flags"], data["complete"], data["errors"]) == ([], True, [])


@pytest.mark.parametrize("name", ["PHQ-9", "phq9", "Phq-9", "PHQ9"])
def test_it_takes_names_case_insensitively(name: str) -> None:
    assert run_score(name, *["1"] * 9)["total"] == 9


def test_it_accepts_a_dash_for_a_missing_answer() -> None:
    data = run_score("PHQ-9", "1", "1", "1", "1", "1", "1", "1", "1", "-")
    assert (data["total"], data["complete"], data["flags"]) == (None, False, ["incomplete_risk_screen", "incomplete"])
    assert data["errors"] == []


def test_it_takes_instrument_parameters_as_options() -> None:
    assert run_score("AUDIT-C", "1", "1", "1", "--sex", "female")["caseness"] is True
    assert run_score("AUDIT-C", "1", "1", "1", "--sex", "male")["caseness"] is False
    assert run_score("EPDS", *["0"] * 10, "--cutoff", "13")["caseness"] is True  # total 21
    assert run_score("K10", *["2"] * 10, "--band-scheme", "crufad")["band"] == "mild"
    assert run_score("GAD-7", "--param", "caseness_rule=screening", *["1"] * 7)["caseness"] is False


def test_it_reports_the_cssrs_risk_level_as_band() -> None:
    data = run_score("c-ssrs", "1", "1", "0", "1", "0", "0", "-")
    assert (data["band"], data["caseness"], data["total"]) == ("high", True, None)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["GAD-7", "0", "0", "4", "0", "0", "0", "0"], "item 3: 4 is out of range (allowed: 0, 1, 2, 3)"),
        (["GAD-7", "0", "0", "-1", "0", "0", "0", "0"], "item 3: -1 is out of range"),
        (["GAD-7", "0", "0", "x", "0", "0", "0", "0"], "item 3: 'x' is not a whole number"),
        (["GAD-7", "0", "0"], "GAD-7 takes 7 answers, got 2"),
        (["PHQ-10", "0"], "unknown instrument 'PHQ-10'"),
        (["AUDIT-C", "1", "1", "1", "--sex", "other"], "parameter sex: 'other' is not one of"),
        (["PHQ-9", *["0"] * 9, "--sex", "female"], "PHQ-9 takes no parameter 'sex'"),
        (["PHQ-9", *["0"] * 9, "--param", "nonsense"], "expected NAME=VALUE"),
    ],
)
def test_it_exits_2_with_the_errors_in_json(args: list[str], error: str) -> None:
    data = run_invalid(*args)
    assert set(data) >= KEYS
    assert data["total"] is None
    errors = data["errors"]
    assert isinstance(errors, list)
    assert any(error in str(problem) for problem in errors), errors


def test_it_scores_against_an_admins_instrument_file(tmp_path: Path) -> None:
    data = yaml.safe_load((INSTRUMENTS_DIR / "gad2.yaml").read_text(encoding="utf-8"))
    data.update(id="local_gad2", name="Local GAD-2", aliases=[])
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert run_score("local gad-2", "2", "1", "--instrument-file", str(path))["caseness"] is True
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: 1\n", encoding="utf-8")
    assert "broken.yaml" in str(run_invalid("x", "1", "--instrument-file", str(broken))["errors"])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "careloop.settings"}
    command = [sys.executable, "-m", "careloop.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603 (fixed argv)


def test_it_exits_through_the_console_command() -> None:
    valid = run_cli("score", "gad7", "1", "1", "1", "1", "1", "1", "-")
    assert (valid.returncode, json.loads(valid.stdout)["complete"]) == (0, False)
    invalid = run_cli("score", "gad7", "9", "1", "1", "1", "1", "1", "1")
    assert invalid.returncode == 2
    assert json.loads(invalid.stdout)["errors"] == ["item 1: 9 is out of range (allowed: 0, 1, 2, 3)"]
    usage = run_cli("score", "gad7", "1", "--no-such-option")
    assert usage.returncode == 2
    assert "unrecognized arguments" in json.loads(usage.stdout)["errors"][0]
