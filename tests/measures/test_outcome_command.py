"""`careloop outcome`: every flag as JSON on stdout, exit 0 for valid input and 2 otherwise."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run_outcome(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("outcome", *args, stdout=out)
    return dict(json.loads(out.getvalue()))


def test_it_prints_every_flag() -> None:
    data = run_outcome("--pre", "PHQ-9=15", "--post", "PHQ-9=5", "--pre", "GAD-7=12", "--post", "GAD-7=4")
    expected = {"caseness_at_start": True, "recovered": True, "reliable_improvement": True,
                "reliable_deterioration": False, "reliable_recovery": True, "no_reliable_change": False,
                "any_measure_reliably_worse": False, "label": "reliable_recovery", "errors": []}
    assert {key: data[key] for key in expected} == expected
    assert data["measures"] == {
        "PHQ-9": {"pre": 15, "post": 5, "change": -10, "caseness_pre": True, "caseness_post": False,
                  "reliable_change_threshold": 6, "reliably_better": True, "reliably_worse": False,
                  "thresholds_verified": True, "rci": None, "jt_threshold": None, "jt_reliably_better": None,
                  "jt_reliably_worse": None},
        "GAD-7": {"pre": 12, "post": 4, "change": -8, "caseness_pre": True, "caseness_post": False,
                  "reliable_change_threshold": 4, "reliably_better": True, "reliably_worse": False,
                  "thresholds_verified": True, "rci": None, "jt_threshold": None, "jt_reliably_better": None,
                  "jt_reliably_worse": None},
    }


def test_it_shows_a_measure_that_worsened_while_another_improved() -> None:
    data = run_outcome("--pre", "PHQ-9=20", "--post", "PHQ-9=10", "--pre", "GAD-7=3", "--post", "GAD-7=8")
    assert (data["reliable_deterioration"], data["mixed_reliable_change"]) == (True, True)
    assert data["reliably_worse_measures"] == ["GAD-7"]


def test_it_takes_the_problem_and_jacobson_truax_options() -> None:
    data = run_outcome("--pre", "phq9=12", "--post", "phq9=6", "--pre", "SPIN=30", "--post", "SPIN=15",
                       "--problem", "F40.1", "--sd", "PHQ-9=5", "--reliability", "PHQ-9=0.84")
    assert (data["problem"], data["anxiety_measure"], data["label"]) == ("F40.1", "SPIN", "reliable_recovery")
    measures = data["measures"]
    assert isinstance(measures, dict)
    assert measures["PHQ-9"]["jt_reliably_better"] is True


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--pre", "PHQ-9=15", "--post", "PHQ-9=99"], "post PHQ-9: '99' is not a whole number from 0 to 27"),
        (["--pre", "PHQ-9", "--post", "PHQ-9=5"], "expected MEASURE=VALUE"),
        (["--pre", "XYZ=1", "--post", "XYZ=2"], "unknown measure 'XYZ'"),
        (["--pre", "PHQ-9=1", "--pre", "PHQ-9=2"], "PHQ-9 given twice"),
        (["--pre", "PHQ-9=1", "--post", "PHQ-9=2", "--sd", "PHQ-9=5"], "needs both --sd and --reliability"),
        (["--pre", "PHQ-9=1", "--post", "PHQ-9=2", "--sd", "PHQ-9=5", "--reliability", "PHQ-9=1"],
         "reliability must be at least 0 and below 1"),
    ],
)
def test_it_exits_2_with_the_errors_in_json(args: list[str], error: str) -> None:
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("outcome", *args, stdout=out)
    assert raised.value.returncode == 2
    errors = json.loads(out.getvalue())["errors"]
    assert any(error in problem for problem in errors), errors
