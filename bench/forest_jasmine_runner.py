"""Runs Forest's jasmine (beiwe-forest 1.0) on one participant of a Beiwe study folder and prints one JSON
line: wall seconds inside `gps_stats_main`, peak RSS, and the daily distance and home time it found.

Runs inside the separate Forest venv (var/forest-venv), never the project's; driven by
bench/gps_vs_forest.py, one process per participant so peak memory is per participant.
"""

import argparse
import csv
import datetime
import json
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", required=True)
    parser.add_argument("--participant", required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--tz", default="Europe/London")
    args = parser.parse_args()
    started = time.perf_counter()
    from forest.constants import Frequency
    from forest.jasmine.traj2stats import gps_stats_main

    import_s = time.perf_counter() - started
    first = datetime.date.fromisoformat(args.start)
    last = first + datetime.timedelta(days=args.days)
    with tempfile.TemporaryDirectory() as output:
        started = time.perf_counter()
        gps_stats_main(
            study_folder=args.study,
            output_folder=output,
            tz_str=args.tz,
            frequency=Frequency.DAILY,
            save_traj=False,
            time_start=[first.year, first.month, first.day, 0, 0, 0],
            time_end=[last.year, last.month, last.day, 0, 0, 0],
            participant_ids=[args.participant],
        )
        wall_s = time.perf_counter() - started
        days = read_daily(Path(output) / "daily" / f"{args.participant}.csv")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall_s, "import_s": import_s, "peak_rss_mib": peak_mib, "days": days}))


def read_daily(path: Path) -> list[dict[str, object]]:
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "date": f"{int(float(row['year'])):04d}-{int(float(row['month'])):02d}-{int(float(row['day'])):02d}",
            "distance_km": number(row.get("dist_traveled")),
            "home_h": number(row.get("home_time")),
        }
        for row in rows
    ]


def number(text: str | None) -> float | None:
    return float(text) if text not in (None, "", "nan", "NaN") else None


if __name__ == "__main__":
    main()
