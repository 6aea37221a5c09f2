"""`careloop ingest` and `careloop features`: JSON counts on stdout, progress on stderr, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from careloop.consent.models import Stream
from careloop.sensing.models import DailyFeature, ImportJob
from tests.conftest import World
from tests.sensing.conftest import NOT_SHARED_HIGH_RESOLUTION, Grant

pytestmark = pytest.mark.django_db


def careloop(*args: str) -> int:
    """Run a command as `careloop` would and return its exit status.

    `call_command`, not `careloop.cli.main`: the latter closes every database connection when the
    command ends (Django's run_from_argv), which would end the test's transaction.
    """
    try:
        call_command(args[0].replace("-", "_"), *args[1:])
    except CommandError as error:
        return error.returncode
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def test_ingest_prints_counts_as_json_and_a_progress_bar(
    world: World, grant: Grant, beiwe_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    assert careloop("ingest", "--patient", str(world.own_patient.pk), "--format", "beiwe", str(beiwe_folder)) == 0
    out, err = capsys.readouterr()
    counts = json.loads(out)
    assert (counts["state"], counts["read"], counts["stored"], counts["duplicate"]) == ("succeeded", 8640, 8640, 0)
    assert "100.0%" in err
    assert "[####" in err
    assert careloop("ingest", "--patient", str(world.own_patient.pk), "--format", "beiwe", str(beiwe_folder)) == 0
    assert json.loads(capsys.readouterr().out)["duplicate"] == 8640


def test_ingest_without_consent_succeeds_and_reports_the_rejection(
    world: World, beiwe_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert careloop("ingest", "--patient", str(world.own_patient.pk), "--format", "beiwe", str(beiwe_folder)) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["stored"], counts["rejected"]) == (0, 8640)
    assert counts["rejection_reasons"] == {"no consent for location": 8640}


def test_a_malformed_file_exits_1_naming_the_file(
    world: World, grant: Grant, beiwe_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    first = sorted((beiwe_folder / "gps").glob("*.csv"))[0]
    first.write_text("lat,lon\n1,2\n")
    assert careloop("ingest", "--patient", str(world.own_patient.pk), "--format", "beiwe", str(beiwe_folder)) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["state"] == "failed"
    assert first.name in err
    assert "line 1" in err


def test_wrong_arguments_exit_2(world: World, tmp_path: Path) -> None:
    assert careloop("ingest", "--patient", "00000000-0000-0000-0000-000000000000", "--format", "beiwe",
                    str(tmp_path)) == 2
    assert careloop("ingest", "--patient", str(world.own_patient.pk), "--format", "beiwe",
                    str(tmp_path / "missing")) == 2
    assert not ImportJob.objects.exists()


def test_features_command_computes_and_reports(
    world: World, grant: Grant, beiwe_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant(world.own_patient, Stream.LOCATION)
    careloop("ingest", "--patient", str(world.own_patient.pk), "--format", "beiwe", str(beiwe_folder))
    capsys.readouterr()
    assert careloop("features", "--patient", str(world.own_patient.pk), "--from", "2026-01-13",
                    "--to", "2026-01-14") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["saved"] == {"daily_mobility": 10}
    assert report["skipped"] == {"daily_activity": "no consent for steps", "daily_sleep": "no consent for sleep",
                                 **NOT_SHARED_HIGH_RESOLUTION}
    assert DailyFeature.objects.filter(patient=world.own_patient).count() == 10
