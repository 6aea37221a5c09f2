"""Synthetic sensor data for the demo: a small Apple Health `export.zip` (steps, heart rate, HRV, sleep
stages) and a Beiwe folder (hourly CSV files of GPS, accelerometer and power state, in the iPhone's or the
Android phone's layout) for one patient, day by day from a trajectory — `at_risk` goes out less, walks and
moves less, sleeps less, uses the phone after midnight and has a higher heart rate and lower HRV asleep over
its last nights; `improving` does more each week. Every value is invented and seeded; nothing is copied from
a real export. Lives in the package so the installed demo can run it.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

Fix = tuple[dt.datetime, float, float]
METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180
HOME = (51.4545, -2.5879)  # a made-up home in a city; offsets are added per patient
WALK_SPEED_M_S = 1.3
FIX_EVERY_S = 30  # one fix per 30 s epoch, so a fully sampled day shows full coverage
WATCH = 'sourceName="Demo Watch" sourceVersion="10.0" device="&lt;&lt;HKDevice&gt;, name:Apple Watch&gt;"'
GPS_HEADER = ("timestamp", "UTC time", "latitude", "longitude", "altitude", "accuracy")
EXPORT_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_GB">
 <ExportDate value="2026-01-01 00:00:00 +0000"/>
 <Me HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexNotSet"/>
"""


@dataclass(frozen=True)
class DemoDay:
    """What one synthetic local day holds."""

    day: dt.date
    outing_m: float
    steps: int
    sleep_hours: float
    night_use_min: float = 0.0
    asleep_bpm: float = 58.0
    hrv_ms: float = 48.0


def demo_days(trajectory: str, last_day: dt.date, count: int = 28, seed: int = 1) -> list[DemoDay]:
    """`count` days ending at `last_day`, shaped by the trajectory, with seeded day-to-day noise."""
    rng = random.Random(f"{seed}:{trajectory}")  # noqa: S311 - synthetic demo data, not security
    more = random.Random(f"{seed}:{trajectory}:phone-heart")  # noqa: S311 - its own stream keeps rng's values
    days = []
    for index in range(count):
        share = index / max(count - 1, 1)
        outing, steps, sleep = shape(trajectory, share, count - index)
        night_use, bpm, hrv = phone_and_heart(trajectory, share, count - index)
        day = last_day - dt.timedelta(days=count - 1 - index)
        days.append(DemoDay(day, outing * rng.uniform(0.9, 1.1), int(steps * rng.uniform(0.9, 1.1)),
                            round(sleep + rng.uniform(-0.25, 0.25), 2), round(night_use * more.uniform(0.9, 1.1), 1),
                            round(bpm + more.uniform(-1, 1), 1), round(hrv * more.uniform(0.9, 1.1), 1)))
    return days


def shape(trajectory: str, share: float, days_left: int) -> tuple[float, int, float]:
    """(outing distance m, steps, sleep h) for a point in the trajectory."""
    if trajectory == "improving":
        return 400 + 2600 * share, int(2500 + 5500 * share), 6.0 + 1.5 * share
    if trajectory == "at_risk" and days_left <= 4:
        return 0.0, 1200, 4.6
    return 2200.0, 7000, 7.2


def phone_and_heart(trajectory: str, share: float, days_left: int) -> tuple[float, float, float]:
    """(phone use after midnight min, heart rate asleep bpm, HRV SDNN ms) for a point in the trajectory."""
    if trajectory == "improving":
        return 40 * (1 - share), 64 - 8 * share, 32 + 18 * share
    if trajectory == "at_risk" and days_left <= 4:
        return 55.0, 67.0, 26.0
    return 0.0, 58.0, 48.0


def local(day: dt.date, hour: float, zone: ZoneInfo) -> dt.datetime:
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return midnight + dt.timedelta(hours=hour)


# --- Beiwe GPS ------------------------------------------------------------------------------------------


def gps_fixes(plan: DemoDay, zone: ZoneInfo, home: tuple[float, float], rng: random.Random) -> Iterator[Fix]:
    """(UTC instant, lat, lon) every FIX_EVERY_S over the local day: home, walk out, stay, walk back."""
    start = local(plan.day, 0, zone).astimezone(dt.UTC)
    walk_s = plan.outing_m / WALK_SPEED_M_S
    leave, arrive = 9 * 3600, 9 * 3600 + walk_s
    come_back = arrive + 3 * 3600
    for second in range(0, 24 * 3600, FIX_EVERY_S):
        east = metres_east(second, leave, arrive, come_back, walk_s, plan.outing_m)
        lat = home[0] + rng.gauss(0, 4) / METRES_PER_DEGREE
        lon = home[1] + (east + rng.gauss(0, 4)) / (METRES_PER_DEGREE * math.cos(math.radians(home[0])))
        yield start + dt.timedelta(seconds=second), lat, lon


def metres_east(second: float, leave: float, arrive: float, come_back: float, walk_s: float, far: float) -> float:
    if walk_s <= 0 or second < leave or second >= come_back + walk_s:
        return 0.0
    if second < arrive:
        return far * (second - leave) / walk_s
    if second < come_back:
        return far
    return far * (1 - (second - come_back) / walk_s)


def write_beiwe_gps(folder: Path, days: list[DemoDay], zone: str, seed: int = 1) -> int:
    """Write `folder/gps/<UTC hour>.csv` files for the days; returns the number of fixes written."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data
    home = (HOME[0] + (seed % 7) * 0.01, HOME[1] + (seed % 5) * 0.01)
    hours: dict[dt.datetime, list[Fix]] = {}
    for plan in days:
        for moment, lat, lon in gps_fixes(plan, ZoneInfo(zone), home, rng):
            hours.setdefault(moment.replace(minute=0, second=0), []).append((moment, lat, lon))
    (folder / "gps").mkdir(parents=True, exist_ok=True)
    for hour, fixes in hours.items():
        write_gps_hour(folder / "gps" / f"{hour:%Y-%m-%d %H}_00_00+00_00.csv", fixes)
    return sum(len(fixes) for fixes in hours.values())


def write_gps_hour(path: Path, fixes: list[Fix]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GPS_HEADER)
        for moment, lat, lon in fixes:
            millis = int(moment.timestamp() * 1000)
            writer.writerow([millis, moment.strftime("%Y-%m-%dT%H:%M:%S.000"), f"{lat:.7f}", f"{lon:.7f}", "30.0",
                             "10.0"])


# --- Beiwe accelerometer and power state ---------------------------------------------------------------

Sample = tuple[dt.datetime, float, float, float]
STANDARD_GRAVITY = 9.80665
PLATFORMS = ("ios", "android")  # iOS writes g and Locked/Unlocked with a battery level; Android m/s², Screen …
DAY_USE = ((7.5, 8.0), (12.25, 15.0), (18.0, 25.0), (22.3, 20.0))  # (local hour, minutes) of daytime phone use
ACCELEROMETER_HEADER = ("timestamp", "UTC time", "accuracy", "x", "y", "z")


def movement_g(plan: DemoDay, hour: float) -> float:
    """How far above 1 g the day's samples are: still asleep (before waking, after 23:20), a little while
    awake (more with more steps), most during the outing's walks (09:00–13:00)."""
    if hour < plan.sleep_hours - 0.67 or hour >= 23 + 1 / 3:
        return 0.0
    walking = 0.1 * min(plan.outing_m / 2200, 1.5) if 9 <= hour < 13 else 0.0
    return 0.015 + 0.035 * plan.steps / 7000 + walking


def accelerometer_samples(plan: DemoDay, zone: ZoneInfo, rng: random.Random) -> Iterator[Sample]:
    """(UTC instant, x, y, z in g): one sample a minute from local midnight, gravity on z plus movement."""
    start = local(plan.day, 0, zone).astimezone(dt.UTC)
    for minute in range(24 * 60):
        moving = movement_g(plan, minute / 60) * rng.uniform(0.5, 1.5)
        yield start + dt.timedelta(minutes=minute), rng.gauss(0, 0.01), rng.gauss(0, 0.01), 1.0 + moving


def write_beiwe_accelerometer(folder: Path, days: list[DemoDay], zone: str, platform: str, seed: int = 1) -> int:
    """Write `folder/accelerometer/<UTC hour>.csv` (m/s² on Android); returns the number of samples written."""
    rng = random.Random(f"{seed}:accelerometer")  # noqa: S311 - synthetic demo data
    scale, accuracy = (STANDARD_GRAVITY, "3") if platform == "android" else (1.0, "unknown")
    rows = [
        (moment, [accuracy, *(f"{value * scale:.5f}" for value in (x, y, z))])
        for plan in days for moment, x, y, z in accelerometer_samples(plan, ZoneInfo(zone), rng)
    ]
    return write_hourly(folder / "accelerometer", ACCELEROMETER_HEADER, rows)


def phone_events(plan: DemoDay, zone: ZoneInfo, platform: str) -> Iterator[tuple[dt.datetime, list[str]]]:
    """(UTC instant, event fields) of one day: daytime use, use after midnight if any, and charging at 23:00."""
    night = ((2.5, plan.night_use_min * 0.6), (4.2, plan.night_use_min * 0.4)) if plan.night_use_min else ()
    on, off = ("Unlocked", "Locked") if platform == "ios" else ("Screen turned on", "Screen turned off")
    battery = ["0.8"] if platform == "ios" else []
    for hour, minutes in (*night, *DAY_USE):
        start = local(plan.day, hour, zone).astimezone(dt.UTC)
        yield start, [on, *battery]
        yield start + dt.timedelta(minutes=minutes), [off, *battery]
    charging = "Charging" if platform == "ios" else "Power connected"
    yield local(plan.day, 23, zone).astimezone(dt.UTC), [charging, *battery]


def write_beiwe_power_state(folder: Path, days: list[DemoDay], zone: str, platform: str) -> int:
    """Write `folder/power_state/<UTC hour>.csv` in the platform's layout; returns the number of events."""
    header = ("timestamp", "UTC time", "event", *(("level",) if platform == "ios" else ()))
    rows = [event for plan in days for event in phone_events(plan, ZoneInfo(zone), platform)]
    return write_hourly(folder / "power_state", header, rows)


def write_hourly(folder: Path, header: tuple[str, ...], rows: list[tuple[dt.datetime, list[str]]]) -> int:
    """Beiwe's layout: one CSV per UTC hour, `timestamp` in epoch ms and `UTC time` first; returns rows written."""
    hours: dict[dt.datetime, list[tuple[dt.datetime, list[str]]]] = {}
    for moment, fields in sorted(rows, key=lambda row: row[0]):
        hours.setdefault(moment.replace(minute=0, second=0, microsecond=0), []).append((moment, fields))
    folder.mkdir(parents=True, exist_ok=True)
    for hour, hour_rows in hours.items():
        with (folder / f"{hour:%Y-%m-%d %H}_00_00+00_00.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for moment, fields in hour_rows:
                writer.writerow([int(moment.timestamp() * 1000), moment.strftime("%Y-%m-%dT%H:%M:%S.000"), *fields])
    return len(rows)


# --- Apple Health ---------------------------------------------------------------------------------------


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def record(kind: str, start: dt.datetime, end: dt.datetime, value: str, unit: str = "") -> str:
    unit_attribute = f' unit="{unit}"' if unit else ""
    return (f' <Record type="{kind}" {WATCH}{unit_attribute} creationDate="{stamp(end)}"'
            f' startDate="{stamp(start)}" endDate="{stamp(end)}" value="{value}"/>\n')


def day_records(plan: DemoDay, zone: ZoneInfo) -> Iterator[str]:
    """Steps in hourly blocks 08:00-20:00, heart rate every 10 minutes, HRV at 03:00, and the night's sleep."""
    for hour in range(8, 20):
        start = local(plan.day, hour, zone)
        yield record("HKQuantityTypeIdentifierStepCount", start, start + dt.timedelta(hours=1),
                     str(plan.steps // 12), "count")
    for index in range(24 * 6):
        moment = local(plan.day, index / 6, zone)
        bpm = plan.asleep_bpm if moment.hour < 7 else 74
        yield record("HKQuantityTypeIdentifierHeartRate", moment, moment, str(bpm), "count/min")
    hrv_at = local(plan.day, 3, zone)
    yield record("HKQuantityTypeIdentifierHeartRateVariabilitySDNN", hrv_at, hrv_at, str(plan.hrv_ms), "ms")
    yield from sleep_records(plan, zone)


def sleep_records(plan: DemoDay, zone: ZoneInfo) -> Iterator[str]:
    """In bed from 23:00 local; asleep (core, deep, REM, core) for `sleep_hours` from 23:20."""
    kind = "HKCategoryTypeIdentifierSleepAnalysis"
    bed = local(plan.day, 23, zone)
    asleep = plan.sleep_hours * 60
    yield record(kind, bed, bed + dt.timedelta(minutes=asleep + 40), "HKCategoryValueSleepAnalysisInBed")
    clock = bed + dt.timedelta(minutes=20)
    for stage, share in (("Core", 0.4), ("Deep", 0.15), ("REM", 0.2), ("Core", 0.25)):
        end = clock + dt.timedelta(minutes=asleep * share)
        yield record(kind, clock, end, f"HKCategoryValueSleepAnalysisAsleep{stage}")
        clock = end


def write_apple_export(path: Path, days: list[DemoDay], zone: str) -> int:
    """Write an export.zip (XML named export.xml, as Apple does in English); returns the records written."""
    count = 0
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("apple_health_export/export.xml", "w") as handle,
    ):
        handle.write(EXPORT_HEAD.encode())
        for plan in days:
            lines = list(day_records(plan, ZoneInfo(zone)))
            count += len(lines)
            handle.write("".join(lines).encode())
        handle.write(b"</HealthData>\n")
    return count
