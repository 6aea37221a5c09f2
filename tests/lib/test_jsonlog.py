"""JSON log lines: one object a line, whitelisted extras only, exceptions without their text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from io import StringIO

import pytest

from careloop.lib.jsonlog import JsonFormatter


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, StringIO]]:
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("careloop.test_jsonlog")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_it_writes_one_json_object_per_line(log: tuple[logging.Logger, StringIO]) -> None:
    logger, stream = log
    logger.info("first")
    logger.warning("second\nstill the second")
    first, second = lines(stream)
    assert (first["level"], first["logger"], first["message"]) == ("info", "careloop.test_jsonlog", "first")
    assert second["message"] == "second\nstill the second"
    assert str(first["at"]).endswith("+00:00")


def test_it_keeps_only_whitelisted_extras(log: tuple[logging.Logger, StringIO]) -> None:
    logger, stream = log
    logger.info("request", extra={"route": "care:patient_overview", "status": 200, "count": 3,
                                  "patient_name": "Ownpatient Quill", "path": "/care/patients/123/"})
    (entry,) = lines(stream)
    assert entry["route"] == "care:patient_overview"
    assert (entry["status"], entry["count"]) == (200, 3)
    assert "patient_name" not in entry
    assert "path" not in entry
    assert "Quill" not in stream.getvalue()


def test_it_logs_an_exception_as_its_type_and_place_without_its_message(log: tuple[logging.Logger, StringIO]) -> None:
    logger, stream = log
    try:
        raise ValueError("Ownpatient Quill reported thoughts of self-harm")
    except ValueError:
        logger.exception("scoring failed")
    (entry,) = lines(stream)
    assert entry["exception"] == "ValueError"
    assert str(entry["where"]).startswith(__file__ + ":")
    assert "Quill" not in stream.getvalue()
    assert "self-harm" not in stream.getvalue()
    assert "Traceback" not in stream.getvalue()
