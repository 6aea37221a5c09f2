"""What rules may ask about passive data: a patient's recent daily values of a feature and their personal
baseline (the median over a window of earlier days), and whether the last few nights or days fell below it
by a margin, with the sentence a clinician reads ("sleep 2.1 h below your 28-day median for 3 nights").
Days under the coverage threshold never count, neither in the baseline nor as a low day. Reads
`DailyFeature`, so it is cheap enough for the Safety and suggestion queues to call on every evaluation.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.sensing.models import DailyFeature
from careloop.sensing.queries import label_of

MIN_COVERAGE = 0.5
MIN_BASELINE_DAYS = 7


@dataclass(frozen=True)
class Baseline:
    """The median of a feature over `days_used` covered days in a window ending before `before`."""

    feature: str
    median: float
    days_used: int
    window_days: int
    before: dt.date


def daily_values(patient: Patient, feature: str, start: dt.date, end: dt.date,
                 min_coverage: float = MIN_COVERAGE) -> dict[dt.date, float]:
    """Covered, non-null values of `feature` on the patient's local days start..end."""
    rows = DailyFeature.objects.filter(
        patient=patient, name=feature, day__gte=start, day__lte=end, coverage__gte=min_coverage, value__isnull=False,
    ).values_list("day", "value")
    return {day: float(value) for day, value in rows if value is not None}


def personal_baseline(patient: Patient, feature: str, before: dt.date, window_days: int = 28,
                      min_coverage: float = MIN_COVERAGE) -> Baseline | None:
    """The median over the `window_days` before `before`, or None with fewer than MIN_BASELINE_DAYS covered."""
    values = daily_values(patient, feature, before - dt.timedelta(days=window_days), before - dt.timedelta(days=1),
                          min_coverage)
    if len(values) < min(MIN_BASELINE_DAYS, window_days):
        return None
    return Baseline(feature, statistics.median(values.values()), len(values), window_days, before)


def nights_below_baseline(
    patient: Patient, feature: str = "total_sleep_hours", below_by: float = 2.0, window_days: int = 28,
    nights: int = 3, today: dt.date | None = None, min_coverage: float = MIN_COVERAGE,
) -> str | None:
    """The explanation if each of the last `nights` local days was at least `below_by` under the baseline.

    The last days end with yesterday (today is not over); the baseline is the window before them. None when
    any of those days lacks covered data, when there is no baseline, or when any day is not low enough.
    """
    last = (today or timezone.now().astimezone(patient.zone()).date()) - dt.timedelta(days=1)
    first = last - dt.timedelta(days=nights - 1)
    recent = daily_values(patient, feature, first, last, min_coverage)
    baseline = personal_baseline(patient, feature, first, window_days, min_coverage)
    if baseline is None or len(recent) < nights:
        return None
    shortfalls = [baseline.median - value for value in recent.values()]
    if min(shortfalls) < below_by:
        return None
    return explanation(feature, statistics.mean(shortfalls), window_days, nights)


def explanation(feature: str, shortfall: float, window_days: int, nights: int) -> str:
    label = label_of(feature)
    name = label.label[:1].lower() + label.label[1:]  # keeps abbreviations such as SDNN
    unit = f" {label.unit}" if label.unit else ""
    amount = f"{shortfall:.{max(label.digits, 1)}f}" if label.digits else f"{shortfall:,.0f}"
    period = "nights" if feature.endswith("sleep_hours") else "days"
    return f"{name} {amount}{unit} below your {window_days}-day median for {nights} {period}"
