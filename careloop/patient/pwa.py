"""The installable app: web manifest, service worker (served at the root so it may control /me/) and the
offline page the worker falls back to.

The worker's version is a hash of its own text, which names every static file by its (hashed, in
production) URL, so a release with new static files installs a new worker and drops the old caches.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from careloop.access.gate import access_own_patient
from careloop.accounts.models import User


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    body = {
        "name": "Careloop",
        "short_name": "Careloop",
        "description": _("Your check-ins, exercises, safety plan and crisis help, also offline."),
        "start_url": reverse("patient:overview"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "lang": translation.get_language() or settings.LANGUAGE_CODE,
        "icons": [
            {"src": static("careloop/favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    draft = render_to_string("patient/sw.js", {"version": ""})
    version = hashlib.sha256(draft.encode()).hexdigest()[:12]
    response = HttpResponse(render_to_string("patient/sw.js", {"version": version}),
                            content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@login_required
def offline(request: HttpRequest) -> HttpResponse:
    """What the worker shows for a page it does not hold: where help and saved pages are."""
    assert isinstance(request.user, User)  # login_required ran first  # noqa: S101
    access_own_patient(request.user, via=request)
    return render(request, "patient/offline.html")
