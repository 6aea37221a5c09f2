"""Top-level routes. Patient ids in paths are random UUIDs, never names or record numbers."""

from django.urls import include, path

from careloop.accounts.views import home, organisation_overview, review_break_glass
from careloop.api import api
from careloop.ops.views import healthz, readyz
from careloop.patient.pwa import manifest, service_worker

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("manifest.webmanifest", manifest, name="pwa_manifest"),
    path("sw.js", service_worker, name="pwa_service_worker"),
    path("organisation/", organisation_overview, name="organisation"),
    path("organisation/break-glass/<int:grant_id>/review/", review_break_glass, name="review_break_glass"),
    path("accounts/", include("allauth.urls")),
    path("", include("careloop.safety.urls")),
    path("", include("careloop.sensing.urls")),
    path("", include("careloop.messaging.urls")),
    path("care/", include("careloop.care.urls")),
    path("me/", include("careloop.patient.urls")),
    path("audit/", include("careloop.audit.urls")),
    path("api/v1/", api.urls),
]
