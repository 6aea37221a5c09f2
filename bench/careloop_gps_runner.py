"""Runs Careloop's GPS mobility on one or more Beiwe participants in this process and prints one JSON
line: seconds to parse the CSVs, seconds for features, seconds from a Parquet copy (the sensor store
layout Careloop reads in production), peak RSS, and the daily distance and home time.

Driven by bench/gps_vs_forest.py, one process per run so peak memory is the run's own.
"""

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import polars as pl

from careloop.pipeline import beiwe, mobility


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", required=True)
    parser.add_argument("--participant", action="append", required=True)
    parser.add_argument("--tz", default="Europe/London")
    parser.add_argument("--circuity", type=float, default=None)
    args = parser.parse_args()
    participants = pl.DataFrame({"participant_id": args.participant, "timezone": [args.tz] * len(args.participant)})
    parameters = mobility.MobilityParameters()
    if args.circuity is not None:
        parameters = mobility.MobilityParameters(gap_route_circuity=args.circuity)
    mobility.daily_mobility(
        pl.DataFrame(beiwe.read_participant_gps(Path(args.study), args.participant[0])), participants
    )
    report = run(Path(args.study), args.participant, participants, parameters)
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(report))


def run(study: Path, ids: list[str], participants: pl.DataFrame, parameters: mobility.MobilityParameters) -> dict:
    parse_s = features_s = parquet_s = 0.0
    days: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as store:
        for participant_id in ids:
            started = time.perf_counter()
            gps = pl.DataFrame(beiwe.read_participant_gps(study, participant_id))
            parse_s += time.perf_counter() - started
            started = time.perf_counter()
            daily = mobility.daily_mobility(gps, participants, parameters)
            features_s += time.perf_counter() - started
            parquet = Path(store) / f"{participant_id}.parquet"
            gps.write_parquet(parquet)
            started = time.perf_counter()
            mobility.daily_mobility(pl.read_parquet(parquet), participants, parameters)
            parquet_s += time.perf_counter() - started
            days += daily_rows(daily)
    return {"parse_s": parse_s, "features_s": features_s, "parquet_and_features_s": parquet_s, "days": days}


def daily_rows(daily: pl.DataFrame) -> list[dict[str, object]]:
    return [
        {
            "participant": row["participant_id"],
            "date": row["local_date"].isoformat(),
            "distance_km": row["distance_km"],
            "home_h": row["time_at_home_h"],
        }
        for row in daily.iter_rows(named=True)
    ]


if __name__ == "__main__":
    main()
