"""Reads for pages: a patient's recent daily features as day × feature tables with coverage, one table per
feature table of the pipeline (one query), and their import jobs. Callers have already passed the access
gate; these take the Patient it returned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Patient
from careloop.pipeline.accelerometer import CircadianParameters
from careloop.pipeline.phone_use import PhoneUseParameters
from careloop.sensing.models import DailyFeature, ImportJob

OVERVIEW_DAYS = 14
RECENT_JOBS = 20
LOW_COVERAGE = 0.5
RHYTHM_WINDOW_DAYS = CircadianParameters().window_days
NIGHT_END_HOUR = PhoneUseParameters().night_end_hour


@dataclass(frozen=True)
class FeatureLabel:
    label: str
    unit: str
    digits: int


LABELS = {
    "total_sleep_hours": FeatureLabel("Sleep", "h", 1),
    "sleep_efficiency": FeatureLabel("Sleep efficiency", "", 2),
    "sleep_midpoint_h": FeatureLabel("Sleep midpoint (local hour)", "h", 1),
    "sleep_regularity_index": FeatureLabel("Sleep regularity index", "", 0),
    "steps": FeatureLabel("Steps", "", 0),
    "active_minutes": FeatureLabel("Active minutes", "min", 0),
    "time_at_home_h": FeatureLabel("Time at home", "h", 1),
    "distance_km": FeatureLabel("Distance travelled", "km", 1),
    "radius_of_gyration_km": FeatureLabel("Radius of gyration", "km", 1),
    "significant_place_count": FeatureLabel("Places visited", "", 0),
    "location_entropy": FeatureLabel("Location entropy", "", 2),
    "resting_hr_bpm": FeatureLabel("Resting heart rate", "bpm", 0),
    "hrv_sdnn_ms": FeatureLabel("Heart rate variability (SDNN)", "ms", 0),
    "heart_rate_mean_bpm": FeatureLabel("Mean heart rate", "bpm", 0),
    "enmo_mean_mg": FeatureLabel("Movement (mean ENMO)", "mg", 1),
    "interdaily_stability": FeatureLabel(f"Interdaily stability ({RHYTHM_WINDOW_DAYS}-day)", "", 2),
    "intradaily_variability": FeatureLabel(f"Intradaily variability ({RHYTHM_WINDOW_DAYS}-day)", "", 2),
    "relative_amplitude": FeatureLabel(f"Relative amplitude ({RHYTHM_WINDOW_DAYS}-day)", "", 2),
    "screen_on_minutes": FeatureLabel("Screen-on time", "min", 0),
    "screen_on_count": FeatureLabel("Screen-ons and unlocks", "", 0),
    "night_screen_on_minutes": FeatureLabel(f"Night screen time (00:00–{NIGHT_END_HOUR:02d}:00)", "min", 0),
}


def label_of(name: str) -> FeatureLabel:
    return LABELS.get(name, FeatureLabel(name.replace("_", " ").capitalize(), "", 2))


@dataclass(frozen=True)
class Cell:
    text: str
    coverage: float
    low_coverage: bool

    @property
    def percent(self) -> int:
        return round(self.coverage * 100)


TABLE_TITLES = {  # the overview's order; a table not listed comes last, under its own name
    "daily_sleep": _("Sleep"),
    "daily_activity": _("Activity"),
    "daily_mobility": _("Mobility (GPS)"),
    "daily_heart": _("Heart"),
    "daily_phone_use": _("Phone use"),
    "daily_accelerometer": _("Movement (accelerometer)"),
    "daily_circadian_rhythm": _("Rest-activity rhythm (14-day window)"),
}


@dataclass
class FeatureTable:
    """Rows are local days (newest first), columns are features; each cell carries its coverage."""

    title: str = ""
    columns: list[tuple[str, FeatureLabel]] = field(default_factory=list)
    rows: list[tuple[dt.date, list[Cell | None]]] = field(default_factory=list)
    provenance: str = ""


def daily_features_context(patient: Patient) -> dict[str, Any]:
    """Context for `sensing/daily_features.html` on the clinician's patient overview."""
    return {"sensing_tables": feature_tables(patient)}


def feature_tables(patient: Patient, days: int = OVERVIEW_DAYS) -> list[FeatureTable]:
    """The last ``days`` local days of features, one narrow table per pipeline feature table."""
    since = timezone.now().astimezone(patient.zone()).date() - dt.timedelta(days=days - 1)
    values = DailyFeature.objects.filter(patient=patient, day__gte=since).order_by("-day", "name")
    by_table: dict[str, list[DailyFeature]] = {}
    for row in values:
        by_table.setdefault(row.feature_table, []).append(row)
    order = list(TABLE_TITLES)
    names = sorted(by_table, key=lambda name: (order.index(name) if name in order else len(order), name))
    return [feature_table(str(TABLE_TITLES.get(name, name)), by_table[name]) for name in names]


def feature_table(title: str, values: list[DailyFeature]) -> FeatureTable:
    names = sorted({row.name for row in values}, key=lambda name: list(LABELS).index(name) if name in LABELS else 99)
    by_day: dict[dt.date, dict[str, DailyFeature]] = {}
    for row in values:
        by_day.setdefault(row.day, {})[row.name] = row
    table = FeatureTable(title=title, columns=[(name, label_of(name)) for name in names])
    table.rows = [(day, [cell(cells.get(name)) for name in names]) for day, cells in by_day.items()]
    table.provenance = ", ".join(sorted({f"{row.source_stream} ({row.pipeline_version})" for row in values}))
    return table


def cell(row: DailyFeature | None) -> Cell | None:
    if row is None:
        return None
    label = label_of(row.name)
    text = "—" if row.value is None else f"{row.value:,.{label.digits}f}{' ' + label.unit if label.unit else ''}"
    return Cell(text, row.coverage, row.coverage < LOW_COVERAGE)


def recent_jobs(patient: Patient) -> list[ImportJob]:
    return list(ImportJob.objects.filter(patient=patient).select_related("created_by")[:RECENT_JOBS])
