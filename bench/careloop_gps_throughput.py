"""Careloop throughput on 1,000+ participant-days: the simulated participants are copied under new ids
until the target is reached, held as one GPS table (as read from the Parquet sensor store), and run
through the Polars engine. Prints one JSON line with seconds and peak RSS.
"""

import argparse
import json
import resource
import time
from pathlib import Path

import polars as pl

from careloop.pipeline import beiwe, engines, schemas


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", required=True)
    parser.add_argument("--participant", action="append", required=True)
    parser.add_argument("--target-days", type=int, default=1000)
    args = parser.parse_args()
    originals = [pl.DataFrame(beiwe.read_participant_gps(Path(args.study), pid)) for pid in args.participant]
    days_each = sum(frame["time"].dt.date().n_unique() for frame in originals) / len(originals)
    copies = int(-(-args.target_days // (days_each * len(originals))))
    gps = pl.concat(
        frame.with_columns((pl.col("participant_id") + f"_copy{copy}").alias("participant_id"))
        for copy in range(copies)
        for frame in originals
    )
    ids = gps["participant_id"].unique().sort().to_list()
    participants = pl.DataFrame({"participant_id": ids, "timezone": ["Europe/London"] * len(ids)})
    started = time.perf_counter()
    daily = run_polars_engine(gps, participants)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"participant_days": daily.height, "participants": len(ids), "seconds": seconds, "peak_rss_mib": peak}
        )
    )


def run_polars_engine(gps: pl.DataFrame, participants: pl.DataFrame) -> pl.DataFrame:
    readings = schemas.conform(gps, schemas.GPS_READINGS)
    table = engines.PolarsEngine().run(engines.DAILY_MOBILITY, readings, participants.to_arrow())
    return pl.DataFrame(table)


if __name__ == "__main__":
    main()
