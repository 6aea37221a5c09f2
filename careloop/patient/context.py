"""What every page needs to know about a logged-in patient: that they are one, and their record's id.

The base layout shows the crisis button, the patient navigation and the offline-sync script only to
patients. The id goes into a ``<meta>`` element for the offline queue, which posts queued answers to
``/api/v1/patients/<id>/responses``; it is the patient's own random id, never a name.
"""

from __future__ import annotations

from django.http import HttpRequest

from careloop.patient.middleware import own_patient_id


def patient_app(request: HttpRequest) -> dict[str, object]:
    patient_id = own_patient_id(request)
    return {"is_patient_user": patient_id is not None, "own_patient_id": patient_id or ""}
