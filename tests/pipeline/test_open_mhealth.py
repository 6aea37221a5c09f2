"""Open mHealth / IEEE 1752.1 data points: validated against the vendored schemas offline, converted into
the shared stream tables, and rejected with the JSON path of the problem."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from careloop.pipeline import open_mhealth
from careloop.pipeline.open_mhealth import OmhStream, read_data_points, read_json_file

INTERVAL = {
    "time_interval": {"start_date_time": "2024-03-02T07:00:00+01:00", "end_date_time": "2024-03-02T08:00:00+01:00"}
}


def header(name: str, version: str, namespace: str = "omh") -> dict[str, Any]:
    return {
        "id": f"{name}-{version}-1",
        "creation_date_time": "2024-03-02T08:00:05Z",
        "schema_id": {"namespace": namespace, "name": name, "version": version},
        "acquisition_provenance": {"source_name": "Synthetic Watch", "modality": "sensed"},
    }


def point(name: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"header": header(name, version), "body": body}


VALID = [
    point("step-count", "2.0", {"step_count": 842, "effective_time_frame": INTERVAL}),
    point("step-count", "3.0", {"step_count": {"value": 12, "unit": "steps"}, "effective_time_frame": INTERVAL}),
    point(
        "heart-rate",
        "2.0",
        {
            "heart_rate": {"value": 61, "unit": "beats/min"},
            "effective_time_frame": {"date_time": "2024-03-02T07:00:00-05:00"},
        },
    ),
    point(
        "sleep-duration",
        "2.0",
        {
            "sleep_duration": {"value": 450, "unit": "min"},
            "effective_time_frame": {
                "time_interval": {"end_date_time": "2024-03-02T07:00:00Z", "duration": {"value": 8, "unit": "h"}}
            },
        },
    ),
    point("physical-activity", "1.2", {"activity_name": "walking", "effective_time_frame": INTERVAL}),
    {
        "header": {
            "uuid": "6f0c1d2e-0000-4000-8000-000000000001",
            "schema_id": {"namespace": "ieee", "name": "physical-activity", "version": "1.0"},
            "source_creation_date_time": "2024-03-02T08:00:00Z",
        },
        "body": {
            "activity_name": "walking",
            "base_movement_quantity": {"value": 900, "unit": "steps"},
            "effective_time_frame": INTERVAL,
        },
    },
]


def test_valid_points_become_stream_rows_with_instants_and_offsets() -> None:
    result = read_data_points(VALID, "p1")
    assert result.rejected == []
    steps = result.tables[OmhStream.STEPS].to_pylist()
    assert [row["steps"] for row in steps] == [842.0, 12.0, 900.0]
    assert steps[0]["start"] == dt.datetime(2024, 3, 2, 6, tzinfo=dt.UTC)
    assert steps[0]["utc_offset_s"] == 3600
    assert steps[0]["source"] == "Synthetic Watch"
    heart = result.tables[OmhStream.HEART_RATE].to_pylist()[0]
    assert (heart["bpm"], heart["start"], heart["utc_offset_s"]) == (
        61.0,
        dt.datetime(2024, 3, 2, 12, tzinfo=dt.UTC),
        -18000,
    )
    sleep = result.tables[OmhStream.SLEEP_DURATION].to_pylist()[0]
    assert (sleep["sleep_h"], sleep["start"]) == (7.5, dt.datetime(2024, 3, 1, 23, tzinfo=dt.UTC))
    assert result.tables[OmhStream.WORKOUTS]["activity_type"].to_pylist() == ["walking", "walking"]
    assert result.tables[OmhStream.STEPS].schema == open_mhealth.OMH_STREAM_SCHEMAS[OmhStream.STEPS]


@pytest.mark.parametrize(
    ("bad", "path", "words"),
    [
        (
            point(
                "step-count", "2.0", {"step_count": 5, "effective_time_frame": {"date_time": "2024-03-02T07:00:00Z"}}
            ),
            "$.body.effective_time_frame",
            "time_interval",
        ),
        (
            point("heart-rate", "2.0", {"heart_rate": {"value": 61}, "effective_time_frame": INTERVAL}),
            "$.body.heart_rate",
            "unit",
        ),
        (
            point(
                "heart-rate",
                "2.0",
                {
                    "heart_rate": {"value": 61, "unit": "beats/min"},
                    "effective_time_frame": {"date_time": "2024-03-02 07:00"},
                },
            ),
            "$.body.effective_time_frame.date_time",
            "is not a 'date-time'",
        ),
        (point("blood-glucose", "4.0", {}), "$.header.schema_id", "unsupported schema omh:blood-glucose:4.0"),
        (
            {
                "header": {k: v for k, v in header("step-count", "2.0").items() if k != "id"},
                "body": {"step_count": 1, "effective_time_frame": INTERVAL},
            },
            "$.header",
            "'id' is a required",
        ),
        (
            point(
                "step-count",
                "2.0",
                {
                    "step_count": 1,
                    "effective_time_frame": {"time_interval": {"date": "2024-03-02", "part_of_day": "morning"}},
                },
            ),
            "$.body.effective_time_frame.time_interval",
            "part of day",
        ),
        (
            point("physical-activity", "1.2", {"activity_name": "walking"}),
            "$.body.effective_time_frame",
            "cannot be placed in time",
        ),
        ([1, 2], "$", "JSON object"),
    ],
)
def test_invalid_points_are_rejected_with_the_json_path(bad: Any, path: str, words: str) -> None:
    result = read_data_points([VALID[0], bad], "p1")
    assert [(rejection.index, rejection.path) for rejection in result.rejected] == [(1, path)]
    assert words in result.rejected[0].reason
    assert result.tables[OmhStream.STEPS].num_rows == 1  # the valid point is kept


def test_a_file_of_points_is_read_and_no_schema_is_fetched(tmp_path: Path) -> None:
    path = tmp_path / "points.json"
    path.write_text(json.dumps(VALID), encoding="utf-8")
    assert read_json_file(path, "p1").rejected == []
    with pytest.raises(Exception, match=r"example\.org"):
        open_mhealth.schema_registry().get_or_retrieve("https://example.org/other.json")


def test_careloop_transcriptions_say_so() -> None:
    for path in (open_mhealth.SCHEMA_DIR / "careloop").glob("*.json"):
        assert "Careloop's minimal transcription" in json.loads(path.read_text(encoding="utf-8"))["description"]
