"""``careloop features --patient UUID [--from DATE --to DATE] [--engine polars|spark --master URL]``:
compute a patient's daily feature tables from the sensor store and print what was saved as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.pipeline import engines
from careloop.sensing.features import Engine, run_features
from careloop.sensing.management.commands.ingest import patient_or_error


class Command(BaseCommand):
    help = "Compute one patient's daily features (Polars here, or Spark on a cluster)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--patient", required=True, help="the patient's id (UUID)")
        parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="first local day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="last local day, YYYY-MM-DD")
        parser.add_argument("--engine", choices=("polars", "spark"), default="polars")
        parser.add_argument("--master", default="local[1]", help="Spark master URL (with --engine spark)")

    def handle(self, *args: Any, **options: Any) -> None:
        patient = patient_or_error(options["patient"])
        if options["start"] and options["end"] and options["start"] > options["end"]:
            raise CommandError("--from is after --to", returncode=2)
        engine = make_engine(options["engine"], options["master"])
        run = run_features(patient, start=options["start"], end=options["end"], engine=engine)
        self.stdout.write(json.dumps(run.as_dict(), sort_keys=True))


def make_engine(name: str, master: str) -> Engine:
    if name == "spark":
        return engines.SparkEngine(engines.local_spark_session(master))
    return engines.PolarsEngine()
