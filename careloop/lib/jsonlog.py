"""One JSON object per log line.

Only the message and the whitelisted ``extra`` keys below reach the output: arbitrary extras
and exception text could carry patient data, so exceptions are logged as their type and the
code location only.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

SAFE_EXTRA_KEYS = ("route", "method", "status", "duration_ms", "request_id", "event", "count")


class DropRequestPath(logging.Filter):
    """Django's request logger names the raw path ("Internal Server Error: /care/patients/<id>/");
    keep the event, drop the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", "")
        record.msg, record.args = f"request failed {status}".strip(), ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: getattr(record, key) for key in SAFE_EXTRA_KEYS if hasattr(record, key)})
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["where"] = f"{record.pathname}:{record.lineno}"
        return json.dumps(entry, default=str)
