"""The organisation administrator's audit view and JSON-lines export."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careloop.accounts.models import Membership, Role, User
from careloop.audit.chain import Actor, record
from careloop.audit.export import AuditFilter, as_json_line

PAGE_SIZE = 100
T = TypeVar("T")


def _admin_organisation(request: HttpRequest) -> uuid.UUID:
    assert isinstance(request.user, User)  # noqa: S101
    org = Membership.objects.filter(user=request.user, role=Role.ADMIN).values_list("organisation_id", flat=True)
    first = org.first()
    if first is None:
        raise Http404("not found")
    return first


def _filter(request: HttpRequest, organisation_id: uuid.UUID) -> AuditFilter:
    try:
        return AuditFilter(
            patient_id=_parse(request, "patient", uuid.UUID),
            actor_id=_parse(request, "user", int),
            since=_parse(request, "since", date.fromisoformat),
            until=_parse(request, "until", date.fromisoformat),
            organisation_id=organisation_id,
        )
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _parse(request: HttpRequest, name: str, convert: Callable[[str], T]) -> T | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return convert(raw)
    except ValueError:
        raise ValueError(f"'{name}' is not valid: {raw[:40]!r}") from None


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation_id = _admin_organisation(request)
    try:
        audit_filter = _filter(request, organisation_id)
    except ValidationError as error:
        return render(request, "audit/log.html", {"error": error.messages[0], "page": None}, status=400)
    record(Actor.from_request(request), "audit.view", organisation_id=organisation_id)
    page = Paginator(audit_filter.queryset(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page, "filter": audit_filter, "query": request.GET.urlencode()})


@require_GET
@login_required
def audit_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    organisation_id = _admin_organisation(request)
    try:
        audit_filter = _filter(request, organisation_id)
    except ValidationError as error:
        return HttpResponse(error.messages[0], status=400, content_type="text/plain")
    record(Actor.from_request(request), "audit.export", organisation_id=organisation_id)
    lines = (as_json_line(event) + "\n" for event in audit_filter.queryset().iterator(chunk_size=2000))
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
    response["Content-Disposition"] = 'attachment; filename="careloop-audit.jsonl"'
    return response
