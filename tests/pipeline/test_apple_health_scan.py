"""The fast line scanner and expat give identical tables on the same varied export, and the scanner hands
expat everything outside Apple's usual shape; malformed files fail naming the line."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from careloop.pipeline import apple_health, apple_health_scan
from careloop.pipeline.apple_health import AppleHealthReadOptions, MalformedExportError, ReadReport, Stream
from tests.pipeline import apple_synthetic

DAYS = [dt.date(2024, 3, 1) + dt.timedelta(days=offset) for offset in range(2 * len(apple_synthetic.ODD_LINES))]
EXPAT = AppleHealthReadOptions(fast_scan=False)


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("apple") / "export.zip"
    apple_synthetic.write_varied_export(path, DAYS)
    return path


@pytest.fixture(scope="module")
def reference(varied: Path) -> dict[Stream, pa.Table]:
    report = ReadReport()
    tables = apple_health.read_export(varied, "p1", EXPAT, report)
    assert report.whole_file_by_expat
    return tables


@pytest.mark.parametrize(("chunk_bytes", "workers"), [(3_000, 1), (7_777, 2), (64 << 10, 2), (16 << 20, 1)])
def test_fast_scanner_and_expat_give_identical_tables(
    varied: Path, reference: dict[Stream, pa.Table], chunk_bytes: int, workers: int
) -> None:
    report = ReadReport()
    options = AppleHealthReadOptions(chunk_bytes=chunk_bytes, workers=workers, records_per_batch=500)
    tables = apple_health.read_export(varied, "p1", options, report)
    for stream in Stream:
        assert tables[stream].equals(reference[stream]), stream
    assert report.expat_chunks > 0  # the odd constructs really went to expat
    if chunk_bytes < (16 << 20):
        assert report.scanned_chunks > report.expat_chunks  # and the usual lines around them did not


def test_the_odd_constructs_are_read_as_xml_means(reference: dict[Stream, pa.Table]) -> None:
    sources = set(reference[Stream.STEPS].column("source").to_pylist())
    assert "ghost" not in sources  # Records inside a comment or CDATA are not records
    assert "Reloj" in sources  # attributes reordered, single-quoted, spaced, across lines
    assert "Sam\u2019s & co phone" in sources  # character reference decoded, tab normalised to a space
    hrv = reference[Stream.HEART_RATE_VARIABILITY].column("sdnn_ms").to_pylist()
    assert 51.25 in hrv
    heart = reference[Stream.HEART_RATE].to_pylist()
    banda = next(row for row in heart if row["source"] == "Banda")
    assert banda["start"] == dt.datetime(2024, 3, 1, 14, tzinfo=dt.UTC)
    assert banda["utc_offset_s"] == -5 * 3600
    assert "HKCategoryValueSleepAnalysisSomethingNew" not in reference[Stream.SLEEP].column("state").to_pylist()


def test_usual_export_is_read_by_the_scanner_alone(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    apple_synthetic.write_export(path, DAYS[:3])
    report = ReadReport()
    tables = apple_health.read_export(path, "p1", AppleHealthReadOptions(chunk_bytes=4096), report)
    assert report.expat_chunks == 0
    assert report.scanned_chunks > 10
    reference = apple_health.read_export(path, "p1", EXPAT)
    assert all(tables[stream].equals(reference[stream]) for stream in Stream)


def test_scanner_dates_match_polars_on_edge_dates(tmp_path: Path) -> None:
    stamps = [
        "2024-02-29 23:59:59 +1400",
        "2000-02-29 00:00:00 -1200",
        "1999-12-31 23:30:00 +0530",
        "2024-03-31 02:30:00 +0200",
        "2024-10-27 01:30:00 +0000",
        "0001-01-01 00:00:00 +0000",
    ]
    lines = "".join(
        f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="s" startDate="{stamp}" endDate="{stamp}"'
        ' value="1"/>\n'
        for stamp in stamps
    )
    path = write_xml(tmp_path, lines)
    fast = apple_health.read_export(path, "p1")[Stream.STEPS]
    assert fast.equals(apple_health.read_export(path, "p1", EXPAT)[Stream.STEPS])
    assert fast.column("start")[0].as_py() == dt.datetime(2024, 2, 29, 9, 59, 59, tzinfo=dt.UTC)


def test_a_prolog_with_entities_sends_the_whole_file_to_expat(tmp_path: Path) -> None:
    header = apple_synthetic.HEADER.replace("]>", '<!ENTITY me "Sam">\n]>')
    record = (
        ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="&me;" startDate="2024-03-01 08:00:00 +0100"'
        ' endDate="2024-03-01 08:01:00 +0100" value="5"/>\n'
    )
    path = write_xml(tmp_path, record, header=header)
    report = ReadReport()
    steps = apple_health.read_export(path, "p1", report=report)[Stream.STEPS]
    assert report.whole_file_by_expat
    assert steps.column("source").to_pylist() == ["Sam"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="s" value="1"/>\n', "line 10: <Record> lacks"),
        (
            ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="s" startDate="2024-03-01"'
            ' endDate="2024-03-01" value="1"/>\n',
            "unreadable date",
        ),
        (
            ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="s" startDate="2024-03-01 08:00:00 +0100"'
            ' endDate="2024-03-01 08:01:00 +0100" value="1">\n',
            "line 11",
        ),
    ],
)
@pytest.mark.parametrize("fast_scan", [True, False])
def test_malformed_exports_fail_naming_the_line(tmp_path: Path, body: str, message: str, fast_scan: bool) -> None:
    path = write_xml(tmp_path, " <Record/>\n" + body, ending="" if "line 11" in message else "</HealthData>\n")
    with pytest.raises(MalformedExportError, match=message):
        apple_health.read_export(path, "p1", AppleHealthReadOptions(fast_scan=fast_scan))


def test_anything_but_comments_after_the_root_is_an_error(tmp_path: Path) -> None:
    path = write_xml(tmp_path, "", ending="</HealthData>\n<!-- fine -->\n<Record/>\n")
    with pytest.raises(MalformedExportError, match="junk after document element"):
        apple_health.read_export(path, "p1")


def write_xml(tmp_path: Path, body: str, header: str = apple_synthetic.HEADER, ending: str = "</HealthData>\n") -> Path:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("apple_health_export/export.xml", header + body + ending)
    return path


EDGE_RECORDS = [
    ("HKCategoryTypeIdentifierSleepAnalysis", 'sourceName="Sueño" value="HKCategoryValueSleepAnalysisAsleep"'),
    ("HKCategoryTypeIdentifierSleepAnalysis", 'sourceName="Sueño" value="HKCategoryValueSleepAnalysisAsleepCore"'),
    ("HKCategoryTypeIdentifierSleepAnalysis", 'sourceName="Sueño" value="HKCategoryValueSleepAnalysisNew"'),
    ("HKQuantityTypeIdentifierHeartRate", 'value="61"'),  # no source: "", no device: null
    ("HKQuantityTypeIdentifierHeartRate", 'sourceName="" device="" value="62.5"'),
    ("HKQuantityTypeIdentifierHeartRate", 'sourceName="twelve bytes" device="a &amp; &quot;b&quot; &apos;c&apos;"'),
    ("HKQuantityTypeIdentifierStepCount", 'sourceName="thirteen byte" value="1e3"'),
    ("HKQuantityTypeIdentifierStepCount", 'sourceName="eight by" value="&lt;5"'),  # decodes to "<5": unreadable
    ("HKQuantityTypeIdentifierStepCount", 'sourceName="Sam\u2019s iPhone" value="70,5"'),
    ("HKQuantityTypeIdentifierStepCount", 'sourceName="s" value="-0.25"'),
    ("HKQuantityTypeIdentifierStepCount&amp;", 'sourceName="s" value="7"'),  # decoded, it is not a wanted type
    ("HKQuantityTypeIdentifierRestingHeartRate", 'sourceName="s" unit="count/min" value="55"'),
    ("HKQuantityTypeIdentifierBodyMass", 'sourceName="s" value="70"'),
]
EDGE_WORKOUTS = ('workoutActivityType="HKWorkoutActivityTypeRock &amp; Roll"', 'duration="3"')


def edge_lines() -> str:
    """Every wanted element in Apple's shape, with values at the edges of what typing does with them."""
    dates = 'startDate="2024-03-01 08:00:00 -0330" endDate="2024-03-01 08:01:00 +1400"'
    records = "".join(f' <Record type="{kind}" {attributes} {dates}/>\n' for kind, attributes in EDGE_RECORDS)
    workouts = "".join(f' <Workout {attributes} sourceName="w" {dates}>\n </Workout>\n' for attributes in EDGE_WORKOUTS)
    return (records + workouts) * 3


@pytest.mark.parametrize("chunk_bytes", [600, 4 << 20])
def test_scanner_types_edge_values_as_expat_does(tmp_path: Path, chunk_bytes: int) -> None:
    path = write_xml(tmp_path, edge_lines())
    report = ReadReport()
    options = AppleHealthReadOptions(chunk_bytes=chunk_bytes, records_per_batch=4)
    tables = apple_health.read_export(path, "p1", options, report)
    assert report.expat_chunks == 0  # the scanner typed every row itself
    reference = apple_health.read_export(path, "p1", EXPAT)
    for stream in Stream:
        assert tables[stream].equals(reference[stream]), stream
    heart = tables[Stream.HEART_RATE].to_pylist()
    assert [(row["source"], row["device"]) for row in heart[:2]] == [("", None), ("", "")]
    assert tables[Stream.WORKOUTS].column("activity_type").to_pylist() == ["HKWorkoutActivityTypeRock & Roll"] * 3


def test_stream_order_within_a_chunk_follows_the_document(tmp_path: Path) -> None:
    path = write_xml(tmp_path, edge_lines())
    fast, expat = (AppleHealthReadOptions(records_per_batch=1, fast_scan=fast_scan) for fast_scan in (True, False))
    order = [stream for stream, _ in apple_health.iter_export(path, "p1", fast)]
    assert list(dict.fromkeys(order))[:3] == [Stream.SLEEP, Stream.HEART_RATE, Stream.STEPS]
    assert order == [stream for stream, _ in apple_health.iter_export(path, "p1", expat)]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ('sourceName="&bogus;"', "undefined entity"),
        ('sourceName="a" sourceName="b"', "duplicate attribute"),
    ],
)
def test_what_the_scanner_refuses_expat_reports(tmp_path: Path, attributes: str, message: str) -> None:
    record = (
        f' <Record type="HKQuantityTypeIdentifierStepCount" {attributes} startDate="2024-03-01 08:00:00 +0100"'
        ' endDate="2024-03-01 08:01:00 +0100" value="5"/>\n'
    )
    path = write_xml(tmp_path, record)
    with pytest.raises(MalformedExportError, match=f"line 9: {message}"):
        apple_health.read_export(path, "p1")


def test_an_odd_date_on_an_unread_type_sends_its_chunk_to_expat(tmp_path: Path) -> None:
    odd = (
        ' <Record type="HKQuantityTypeIdentifierBodyMass" sourceName="s" startDate="2024-03-01"'
        ' endDate="2024-03-01" value="70"/>\n'
    )
    path = write_xml(tmp_path, edge_lines() + odd)
    report = ReadReport()
    tables = apple_health.read_export(path, "p1", report=report)
    assert report.expat_chunks == 1
    reference = apple_health.read_export(path, "p1", EXPAT)
    assert all(tables[stream].equals(reference[stream]) for stream in Stream)


def test_wanted_attribute_names_differ_in_length() -> None:
    assert apple_health_scan.NAME_OF_LENGTH[len("startDate")] == apple_health_scan.ATTRIBUTES.index("startDate")
    with pytest.raises(ValueError, match="same length"):
        apple_health_scan.names_by_length(("type", "unit"))


def test_an_empty_cut_scans_to_no_rows() -> None:
    scratch = apple_health_scan.Scratch()
    data = b' <Correlation type="x">\n  <Record type="y"/>\n' + apple_health_scan.PADDING
    cut = apple_health_scan.cut_chunk(data, 1, scratch)
    assert cut is not None
    assert (cut.consumed_bytes, cut.depth) == (0, 1)
    elements = apple_health_scan.scan_cut(cut, scratch)
    assert elements is not None
    assert len(elements) == 0
    assert apple_health.scanned_tables(elements, "p1") == []


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_with_two_errors_fails_naming_the_first(tmp_path: Path, workers: int) -> None:
    duplicated = (
        ' <Record type="HKQuantityTypeIdentifierStepCount" value="1" startDate="2024-03-01 08:00:00 +0100"'
        ' endDate="2024-03-01 08:01:00 +0100" value="2"/>\n'
    )
    path = write_xml(tmp_path, duplicated + " <Record>\n" + edge_lines())  # the second Record never closes
    options = AppleHealthReadOptions(chunk_bytes=1_000, workers=workers)
    with pytest.raises(MalformedExportError, match="line 9: duplicate attribute"):
        apple_health.read_export(path, "p1", options)


def test_arrow_buffers_round_trip_without_pa_array() -> None:
    states = pa.array([None, 3, None, 5], pa.int32()).slice(1)
    assert apple_health_scan.numpy_of(states, np.int32, missing=-1).tolist() == [3, -1, 5]
    assert apple_health_scan.arrow_of(np.array([1.5, -2.0]), pa.float64()).to_pylist() == [1.5, -2.0]
    with pytest.raises(TypeError):
        apple_health_scan.arrow_of(np.array([1, 2], dtype=np.int32), pa.int64())
    assert apple_health_scan.strings_of(["Teléfono", None, ""]).equals(pa.array(["Teléfono", None, ""], pa.string()))
    assert apple_health_scan.repeated("p1", 3).equals(pa.array(["p1"] * 3, pa.string()))
