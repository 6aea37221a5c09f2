"""The landing page: send each person to the part of Careloop their role uses."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from careloop.accounts.models import Role, User


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
        return redirect("audit:log")
    return render(request, "accounts/no_role.html", {"roles": sorted(roles)})
