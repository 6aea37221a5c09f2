"""Download my data: everything Careloop holds about a patient, as JSON and CSV in one zip.

One ``data.json`` holds every section; each section is also a CSV, so the file opens in a spreadsheet.
Sections: profile, check-in responses, exercises (free text decrypted for the patient), consent history,
data-rights requests and, where the messaging app is installed, messages.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.utils import timezone

from careloop.accounts.models import Patient
from careloop.consent.models import ConsentGrant
from careloop.interventions.models import ExerciseEntry
from careloop.interventions.queries import entry_texts
from careloop.measures.models import Response
from careloop.patient.models import DataRightsRequest

Row = dict[str, Any]


def export_sections(patient: Patient) -> dict[str, list[Row]]:
    sections = {
        "profile": [_profile(patient)],
        "responses": [_response(r) for r in Response.objects.filter(patient=patient).order_by("submitted_at")],
        "exercises": [_exercise(e) for e in ExerciseEntry.objects.filter(patient=patient).order_by("completed_at")],
        "consent_history": [_grant(g) for g in ConsentGrant.objects.filter(patient=patient).order_by("decided_at")],
        "data_rights_requests": [_request(r) for r in DataRightsRequest.objects.filter(patient=patient)],
    }
    if apps.is_installed("careloop.messaging"):
        sections["messages"] = list(_messages(patient))
    return sections


def export_zip(patient: Patient) -> bytes:
    sections = export_sections(patient)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(
            {"exported_at": timezone.now().isoformat(), **sections}, default=_plain, ensure_ascii=False, indent=2))
        for name, rows in sections.items():
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()


def _plain(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv(rows: Iterable[Row]) -> str:
    rows = list(rows)
    out = io.StringIO()
    columns = sorted({key for row in rows for key in row})
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v, default=_plain, ensure_ascii=False) if isinstance(v, dict | list)
                         else _plain(v) if v is not None else "" for k, v in row.items()})
    return out.getvalue()


def _profile(patient: Patient) -> Row:
    return {"id": str(patient.pk), "display_name": patient.display_name, "language": patient.language,
            "timezone": patient.timezone, "country": patient.country, "organisation": patient.organisation.name}


def _response(response: Response) -> Row:
    return {"id": str(response.pk), "instrument": response.instrument_id, "version": response.instrument_version,
            "submitted_at": response.submitted_at, "answers": response.answers, "total": response.total,
            "band": response.band, "source": response.source}


def _exercise(entry: ExerciseEntry) -> Row:
    return {"id": str(entry.pk), "module": entry.module_id, "version": entry.module_version,
            "completed_at": entry.completed_at, "answers": entry.data, "written": entry_texts(entry)}


def _grant(grant: ConsentGrant) -> Row:
    return {"purpose": grant.purpose, "stream": grant.stream, "granted": grant.granted,
            "decided_at": grant.decided_at}


def _request(request: DataRightsRequest) -> Row:
    return {"kind": request.kind, "status": request.status, "requested_at": request.requested_at,
            "due_at": request.due_at, "completed_at": request.completed_at}


def _messages(patient: Patient) -> Iterable[Row]:
    message_model = apps.get_model("messaging", "Message")
    for message in message_model.objects.filter(thread__patient=patient).order_by("sent_at"):
        yield {"sent_at": message.sent_at, "from": message.sender_role, "body": message.body}
