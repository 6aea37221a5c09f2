"""The sensing demo: synthetic inputs for two demo patients, imported with correct counts, no duplicates
on a second run, features computed; refused under production."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from careloop.demo.builder import build_demo
from careloop.sensing import demo_data
from careloop.sensing.management.commands.demo_sensing import DEMO_DAYS, DEMO_PLATFORMS
from careloop.sensing.models import DailyFeature

pytestmark = pytest.mark.django_db
APPLE_RECORDS_PER_DAY = 12 + 24 * 6 + 1 + 5
GPS_FIXES_PER_DAY = 24 * 3600 // demo_data.FIX_EVERY_S
ACCELEROMETER_SAMPLES_PER_DAY = 24 * 60


def beiwe_rows(trajectory: str) -> int:
    """GPS fixes, accelerometer samples and power-state events of one demo patient's Beiwe folder."""
    days = demo_data.demo_days(trajectory, dt.date(2026, 2, 1), DEMO_DAYS, 20261122)
    zone = ZoneInfo("Europe/London")
    events = sum(len(list(demo_data.phone_events(day, zone, DEMO_PLATFORMS[trajectory]))) for day in days)
    return (GPS_FIXES_PER_DAY + ACCELEROMETER_SAMPLES_PER_DAY) * DEMO_DAYS + events


def run_demo(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    call_command("demo_sensing")
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_demo_sensing_imports_both_formats_once(capsys: pytest.CaptureFixture[str]) -> None:
    build_demo(20261122)
    first = run_demo(capsys)
    imports = [line for line in first if "stored" in line]
    for line in imports:
        expected = {"apple_health": APPLE_RECORDS_PER_DAY * DEMO_DAYS, "beiwe": beiwe_rows(str(line["trajectory"]))}
        assert line["state"] == "succeeded"
        assert line["read"] == line["stored"] == expected[str(line["format"])]
    assert {line["trajectory"] for line in imports} == {"at_risk", "improving"}
    again = [line for line in run_demo(capsys) if "stored" in line]
    assert all(line["stored"] == 0 and line["duplicate"] == line["read"] for line in again)
    assert DailyFeature.objects.filter(name="steps").count() == 2 * DEMO_DAYS


def test_demo_sensing_is_refused_under_production(settings: pytest.FixtureRequest) -> None:
    settings.CARELOOP_DEMO_ALLOWED = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="production"):
        call_command("demo_sensing")


def test_the_at_risk_trajectory_ends_with_short_nights_and_no_outings() -> None:
    days = demo_data.demo_days("at_risk", dt.date(2026, 2, 1))
    assert [day.outing_m for day in days[-4:]] == [0.0] * 4
    assert max(day.sleep_hours for day in days[-4:]) < 5.0 < min(day.sleep_hours for day in days[:-4])


def test_the_at_risk_patients_short_nights_reach_the_baseline_interface(capsys: pytest.CaptureFixture[str]) -> None:
    from careloop.accounts.models import Patient
    from careloop.sensing.baseline import nights_below_baseline

    build_demo(20261122)
    run_demo(capsys)
    explanations = {
        nights_below_baseline(patient)
        for patient in Patient.objects.filter(daily_features__name="total_sleep_hours").distinct()
    }
    assert len([text for text in explanations if text]) == 1
    found = next(text for text in explanations if text)
    assert found.startswith("sleep ")
    assert found.endswith("below your 28-day median for 3 nights")


def test_the_at_risk_patient_has_every_high_resolution_feature_showing_its_last_nights(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from careloop.accounts.models import Patient
    from careloop.demo.people import DEMO_DOMAIN

    build_demo(20261122)
    run_demo(capsys)
    patient = Patient.objects.get(user__email=f"patient00@{DEMO_DOMAIN}")
    rows = DailyFeature.objects.filter(patient=patient).order_by("day")
    names = {row.name for row in rows}
    assert {"enmo_mean_mg", "interdaily_stability", "screen_on_minutes", "night_screen_on_minutes",
            "resting_hr_bpm", "hrv_sdnn_ms"} <= names

    def series(name: str) -> list[float]:
        return [row.value for row in rows if row.name == name and row.value is not None]

    night_use, resting, hrv = series("night_screen_on_minutes"), series("resting_hr_bpm"), series("hrv_sdnn_ms")
    assert min(night_use[-4:]) > 40 > max(night_use[:-4]) == 0.0
    assert min(resting[-4:]) > max(resting[:-4])
    assert max(hrv[-4:]) < min(hrv[:-4])
    assert min(series("enmo_mean_mg")[:-4]) > max(series("enmo_mean_mg")[-4:])
    # from the seventh fully sampled day on; the demo samples 24 hours a day, so a 23- or 25-hour day is not valid
    assert len(series("interdaily_stability")) >= DEMO_DAYS - 7
