"""Synthetic Apple Health exports for tests and the benchmark: a zip holding a localised export XML with
a DTD, overlapping iPhone and Watch step records, heart rate with metadata, HRV, resting heart rate,
sleep (iPhone in-bed, Watch stages) and workouts. Every number is made up; no real export is copied.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="es_ES">
 <ExportDate value="2024-03-10 21:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexNotSet"/>
"""
PHONE = 'sourceName="Teléfono de Sam" sourceVersion="17.3" device="&lt;&lt;HKDevice: 0x1&gt;, name:iPhone&gt;"'
WATCH = 'sourceName="Apple Watch de Sam" sourceVersion="10.3" device="&lt;&lt;HKDevice: 0x2&gt;, name:Apple Watch&gt;"'
ZONE = dt.timezone(dt.timedelta(hours=1))


@dataclass(frozen=True)
class DayPlan:
    """What one synthetic day contains; the defaults give known daily answers."""

    watch_steps_per_minute: int = 110
    walk_minutes: int = 30
    phone_copy: bool = True


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def record(kind: str, source: str, start: dt.datetime, end: dt.datetime, value: str, unit: str = "") -> str:
    unit_attribute = f' unit="{unit}"' if unit else ""
    return (
        f' <Record type="{kind}" {source}{unit_attribute} creationDate="{stamp(end)}"'
        f' startDate="{stamp(start)}" endDate="{stamp(end)}" value="{value}"/>\n'
    )


def day_records(day: dt.date, plan: DayPlan) -> Iterator[str]:
    """A day: a 30-minute walk at 08:00 recorded by both devices, HR every 5 min, a night's sleep."""
    morning = dt.datetime.combine(day, dt.time(8), tzinfo=ZONE)
    for minute in range(plan.walk_minutes):
        start = morning + dt.timedelta(minutes=minute)
        end = start + dt.timedelta(minutes=1)
        yield record("HKQuantityTypeIdentifierStepCount", WATCH, start, end, str(plan.watch_steps_per_minute), "count")
    if plan.phone_copy:  # the phone saw the same walk, in 10-minute blocks, slightly fewer steps
        for block in range(0, plan.walk_minutes, 10):
            start = morning + dt.timedelta(minutes=block)
            steps = 10 * (plan.watch_steps_per_minute - 5)
            yield record(
                "HKQuantityTypeIdentifierStepCount", PHONE, start, start + dt.timedelta(minutes=10), str(steps), "count"
            )
    yield from heart_records(day)
    yield from sleep_records(day)
    yield (
        f' <Workout workoutActivityType="HKWorkoutActivityTypeWalking" duration="30" durationUnit="min" {WATCH}'
        f' creationDate="{stamp(morning)}" startDate="{stamp(morning)}"'
        f' endDate="{stamp(morning + dt.timedelta(minutes=30))}"/>\n'
    )


def heart_records(day: dt.date) -> Iterator[str]:
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=ZONE)
    for index in range(0, 24 * 12):
        moment = midnight + dt.timedelta(minutes=5 * index)
        bpm = 55 if moment.hour < 7 else 75
        yield (
            f' <Record type="HKQuantityTypeIdentifierHeartRate" {WATCH} unit="count/min" creationDate="{stamp(moment)}"'
            f' startDate="{stamp(moment)}" endDate="{stamp(moment)}" value="{bpm}">\n'
            '  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n </Record>\n'
        )
    morning = midnight + dt.timedelta(hours=7)
    yield record("HKQuantityTypeIdentifierHeartRateVariabilitySDNN", WATCH, morning, morning, "48.5", "ms")
    yield record("HKQuantityTypeIdentifierRestingHeartRate", WATCH, morning, morning, "56", "count/min")


def sleep_records(day: dt.date) -> Iterator[str]:
    """In bed 23:00-07:00 (iPhone); asleep 23:30-06:30 in stages with a 10-minute awakening (Watch)."""
    bed = dt.datetime.combine(day, dt.time(23), tzinfo=ZONE)
    kind = "HKCategoryTypeIdentifierSleepAnalysis"
    yield record(kind, PHONE, bed, bed + dt.timedelta(hours=8), "HKCategoryValueSleepAnalysisInBed")
    stages = [("Core", 150), ("Deep", 60), ("Awake", 10), ("REM", 60), ("Core", 130)]
    clock = bed + dt.timedelta(minutes=30)
    for stage, minutes in stages:
        end = clock + dt.timedelta(minutes=minutes)
        value = f"HKCategoryValueSleepAnalysis{'Awake' if stage == 'Awake' else 'Asleep' + stage}"
        yield record(kind, WATCH, clock, end, value)
        clock = end


def write_export(path: Path, days: list[dt.date], plan: DayPlan | None = None, xml_name: str = "exportar.xml") -> None:
    """Write an export.zip whose XML is called `xml_name` (a localised name) beside a CDA file."""
    plan = plan or DayPlan()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("apple_health_export/export_cda.xml", "<?xml version='1.0'?><ClinicalDocument/>")
        with archive.open(f"apple_health_export/{xml_name}", "w") as handle:
            handle.write(HEADER.encode())
            for day in days:
                handle.write("".join(day_records(day, plan)).encode())
            handle.write(b"</HealthData>\n")


def records_per_day(plan: DayPlan | None = None) -> int:
    plan = plan or DayPlan()
    return sum(1 for _ in day_records(dt.date(2024, 3, 1), plan))


ODD_LINES = (
    # a comment and a CDATA section that hold Record tags, which are not records
    ' <!-- <Record type="HKQuantityTypeIdentifierStepCount" sourceName="ghost" startDate="2024-03-01 00:00:00 +0100"'
    ' endDate="2024-03-01 00:01:00 +0100" value="999"/> -->\n'
    ' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Banda" startDate="2024-03-01 09:00:00 -0500"'
    ' endDate="2024-03-01 09:00:00 -0500" value="61">\n'
    '  <![CDATA[ <Record type="HKQuantityTypeIdentifierStepCount" sourceName="ghost" value="1"/> ]]>\n'
    " </Record>\n",
    # attributes in another order, single quotes, spaces around `=`, a tag across lines
    ' <Record startDate=\'2024-03-01 10:00:00 +0530\' value = "12" endDate="2024-03-01 10:01:00 +0530"\n'
    '   type="HKQuantityTypeIdentifierStepCount" sourceName="Reloj"/>\n',
    # character references, a tab inside a value (expat makes it a space), an apostrophe outside a value
    ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Sam&#x2019;s &amp; co\tphone"'
    ' startDate="2024-03-01 11:00:00 +0000" endDate="2024-03-01 11:05:00 +0000" value="40"/>\n',
    # an HRV record with its beat-to-beat list (times use U+202F before PM)
    ' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Apple Watch de Sam" unit="ms"'
    ' startDate="2024-03-01 06:50:00 +0100" endDate="2024-03-01 06:51:00 +0100" value="51.25">\n'
    "  <HeartRateVariabilityMetadataList>\n"
    '   <InstantaneousBeatsPerMinute bpm="62" time="6:50:01.94\u202fPM"/>\n'
    '   <InstantaneousBeatsPerMinute bpm="63" time="06:50:02,10"/>\n'
    "  </HeartRateVariabilityMetadataList>\n"
    " </Record>\n",
    # blood pressure: records nested in a Correlation, and a type nobody reads
    ' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron"'
    ' startDate="2024-03-01 12:00:00 +0100" endDate="2024-03-01 12:00:00 +0100">\n'
    '  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron"'
    ' startDate="2024-03-01 12:00:00 +0100" endDate="2024-03-01 12:00:00 +0100" value="120"/>\n'
    " </Correlation>\n"
    ' <Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Báscula" unit="kg"'
    ' startDate="2024-03-01 07:00:00 +0100" endDate="2024-03-01 07:00:00 +0100" value="70,5"/>\n',
    # an unknown sleep value (dropped), a processing instruction, a self-closing Record without children
    ' <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Sueño" startDate="2024-03-01 01:00:00 +0100"'
    ' endDate="2024-03-01 02:00:00 +0100" value="HKCategoryValueSleepAnalysisSomethingNew"/>\n'
    " <?careloop test?>\n",
)


def write_varied_export(path: Path, days: list[dt.date], xml_name: str = "export.xml") -> None:
    """An export in Apple's usual shape with, between days, every odd construct a valid XML file may hold."""
    header = HEADER.replace("]>", "<!ATTLIST Record type CDATA #REQUIRED value CDATA #IMPLIED>\n]>")
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(f"apple_health_export/{xml_name}", "w") as handle,
    ):
        handle.write(header.encode())
        for index, day in enumerate(days):
            handle.write("".join(day_records(day, DayPlan())).encode())
            handle.write(ODD_LINES[index % len(ODD_LINES)].encode())
        handle.write(b"</HealthData>\n")
