"""Patient-app middleware: the profile's language, and a clean device after log-out.

``PatientLanguageMiddleware`` activates the language saved on a logged-in patient's profile (they
change it on their settings page, which also saves it there), so the app speaks their language on
every device without a cookie. ``ClearSiteDataOnLogoutMiddleware`` answers a log-out with
``Clear-Site-Data``, so cached pages, the service worker and any offline queue leave the device with
the session (the page script first sends anything still queued).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from careloop.accounts.models import Patient

_CACHE_ATTR = "_careloop_own_patient"
SESSION_KEY = "careloop_own_patient"


def own_patient(request: HttpRequest) -> tuple[uuid.UUID, str] | None:
    """(patient id, language) of the logged-in patient.

    Kept in the session (a new one starts at every log-in), so pages whose query count is pinned pay
    for it once per session, not on every request.
    """
    if hasattr(request, _CACHE_ATTR):
        cached: tuple[uuid.UUID, str] | None = getattr(request, _CACHE_ATTR)
        return cached
    found: tuple[uuid.UUID, str] | None = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        session = getattr(request, "session", None)
        stored = session.get(SESSION_KEY) if session is not None else None
        if stored is None:
            row = Patient.objects.filter(user=user).values_list("pk", "language").first()
            stored = [str(row[0]), row[1]] if row else []
            if session is not None:
                session[SESSION_KEY] = stored
        found = (uuid.UUID(stored[0]), stored[1]) if stored else None
    setattr(request, _CACHE_ATTR, found)
    return found


def remember_language(request: HttpRequest, language: str) -> None:
    """After the patient changes their language: the session's copy follows the profile."""
    found = own_patient(request)
    if found is not None:
        request.session[SESSION_KEY] = [str(found[0]), language]
        setattr(request, _CACHE_ATTR, (found[0], language))


def own_patient_id(request: HttpRequest) -> uuid.UUID | None:
    found = own_patient(request)
    return None if found is None else found[0]


class PatientLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = own_patient(request)
        if found is not None:
            try:
                language = translation.get_supported_language_variant(found[1] or settings.LANGUAGE_CODE)
            except LookupError:
                language = settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if found is not None:
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class ClearSiteDataOnLogoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if request.method == "POST" and match is not None and match.url_name == "account_logout":
            response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response


class PwaFilesMiddleware:
    """Answer /sw.js and /manifest.webmanifest before sessions and authentication run.

    Browsers fetch both on their own, beside every page load; they carry no patient data, so they
    should neither touch the database nor extend anyone's session (like static files).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from careloop.patient import pwa

        if request.method == "GET" and request.path == "/sw.js":
            return pwa.service_worker(request)
        if request.method == "GET" and request.path == "/manifest.webmanifest":
            return pwa.manifest(request)
        return self.get_response(request)
