"""The fast line scanner and expat give identical tables on the same varied export, and the scanner hands
expat everything outside Apple's usual shape; malformed files fail naming the line."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from careloop.pipeline import apple_health
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
