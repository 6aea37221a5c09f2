"""The landing page, and the organisation page for administrators and supervisors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from careloop.access.actions import BreakGlassError, do_review_break_glass
from careloop.accounts.models import Role, User
from careloop.accounts.organisation import (
    break_glass_awaiting_review,
    overseen_organisation,
    staff_of,
    teams_of,
)
from careloop.audit.chain import Actor, record


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # noqa: S101
    roles = {m.role for m in request.user.memberships.all()}
    if roles & {Role.CLINICIAN, Role.SUPERVISOR}:
        return redirect("care:patient_list")
    if Role.PATIENT in roles:
        return redirect("patient:overview")
    if Role.ADMIN in roles:
        return redirect("organisation")
    return render(request, "accounts/no_role.html", {"roles": sorted(roles)})


@require_GET
@login_required
def organisation_overview(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # noqa: S101
    organisation = overseen_organisation(request.user)
    if organisation is None:
        raise Http404("not found")
    record(Actor.from_request(request), "organisation.view", organisation_id=organisation.pk)
    return render(request, "accounts/organisation.html", {
        "organisation": organisation,
        "staff": staff_of(organisation.pk),
        "teams": teams_of(organisation.pk),
        "reviews": break_glass_awaiting_review(organisation.pk),
    })


@require_POST
@login_required
def review_break_glass(request: HttpRequest, grant_id: int) -> HttpResponse:
    assert isinstance(request.user, User)  # noqa: S101
    organisation = overseen_organisation(request.user)
    grant = None if organisation is None else break_glass_awaiting_review(organisation.pk).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("not found")
    try:
        do_review_break_glass(request.user, grant, via=request)
    except BreakGlassError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Emergency access marked as reviewed.")
    return redirect("organisation")
