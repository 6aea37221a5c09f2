"""``careloop demo-sensing``: give the demo's at-risk and one improving patient four weeks of synthetic
phone and watch data — an Apple Health export.zip and a Beiwe folder (GPS, accelerometer and power state; the
at-risk patient's in the iPhone's layout, the improving one's in Android's) each — import both (with the
patients' consent for those streams recorded first) and compute their daily features. Refused under
production, like ``careloop demo``. Running it again stores nothing twice: the counts show duplicates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.audit.chain import SYSTEM
from careloop.consent.actions import do_record_consent
from careloop.consent.models import ConsentDocument
from careloop.consent.models import Stream as ConsentStream
from careloop.demo.people import AT_RISK, DEMO_DOMAIN
from careloop.sensing import demo_data
from careloop.sensing.actions import do_create_import_job
from careloop.sensing.consent import SENSING_PURPOSE, may_collect
from careloop.sensing.features import run_features
from careloop.sensing.ingest import run_import

DEMO_PATIENTS = {AT_RISK: f"patient00@{DEMO_DOMAIN}", "improving": f"patient03@{DEMO_DOMAIN}"}
DEMO_PLATFORMS = {AT_RISK: "ios", "improving": "android"}
DEMO_STREAMS = (ConsentStream.LOCATION, ConsentStream.STEPS, ConsentStream.HEART_RATE, ConsentStream.SLEEP,
                ConsentStream.ACCELEROMETER, ConsentStream.PHONE_USE)
DEMO_DAYS = 28


class Command(BaseCommand):
    help = "Import synthetic Apple Health and Beiwe data for two demo patients and compute their features."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=20261122)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CARELOOP_DEMO_ALLOWED:
            raise CommandError("demo sensor data cannot be created under production settings")
        for trajectory, email in DEMO_PATIENTS.items():
            patient = demo_patient(email)
            consent_to_demo_streams(patient)
            for line in import_demo_data(patient, trajectory, options["seed"]):
                self.stdout.write(json.dumps(line, sort_keys=True))


def demo_patient(email: str) -> Patient:
    patient = Patient.objects.filter(user__email=email).first()
    if patient is None:
        raise CommandError(f"no demo patient {email}; run `careloop demo --no-serve` first")
    return patient


def consent_to_demo_streams(patient: Patient) -> None:
    """Record the demo patient's (synthetic) choice to share the demo streams for personalised care."""
    document = personalisation_document(patient)
    for stream in DEMO_STREAMS:
        if not may_collect(patient, stream):
            do_record_consent(patient, SENSING_PURPOSE, stream, granted=True, actor=SYSTEM, document=document)


def personalisation_document(patient: Patient) -> ConsentDocument:
    document = ConsentDocument.objects.filter(organisation=patient.organisation, purpose=SENSING_PURPOSE).last()
    if document is None:
        summary = "We can use your phone and watch data to tailor your care."
        document = ConsentDocument.objects.create(
            organisation=patient.organisation, purpose=SENSING_PURPOSE, version=1, language="en",
            title="Personalisation consent", summary=summary, body=summary,
        )
    return document


def import_demo_data(patient: Patient, trajectory: str, seed: int) -> list[dict[str, Any]]:
    """Write both inputs for four weeks ending yesterday (patient's local days), import them, run features."""
    yesterday = timezone.now().astimezone(patient.zone()).date() - dt.timedelta(days=1)
    days = demo_data.demo_days(trajectory, yesterday, DEMO_DAYS, seed)
    lines = []
    with tempfile.TemporaryDirectory(prefix="careloop-demo-sensing-") as scratch:
        export, beiwe = Path(scratch) / "export.zip", Path(scratch) / "beiwe" / "participant"
        demo_data.write_apple_export(export, days, patient.timezone)
        write_beiwe(beiwe, days, patient.timezone, DEMO_PLATFORMS[trajectory], seed)
        for source_format, path in (("apple_health", export), ("beiwe", beiwe)):
            job = do_create_import_job(patient, source_format, actor=SYSTEM, created_by=None, source_name=path.name)
            lines.append({"trajectory": trajectory, **run_import(job, path).counts()})
    lines.append({"trajectory": trajectory, "features": run_features(patient).as_dict()})
    return lines


def write_beiwe(folder: Path, days: list[demo_data.DemoDay], zone: str, platform: str, seed: int) -> None:
    """One Beiwe participant folder: GPS, accelerometer and power state in the platform's layout."""
    demo_data.write_beiwe_gps(folder, days, zone, seed)
    demo_data.write_beiwe_accelerometer(folder, days, zone, platform, seed)
    demo_data.write_beiwe_power_state(folder, days, zone, platform)
