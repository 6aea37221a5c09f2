"""People and organisations.

An organisation is a tenant: nothing crosses its boundary. A user holds roles per
organisation (``Membership``); care teams join clinicians to the patients they treat; a
``Patient`` is the clinical subject, linked to a log-in only if they use the patient app.
"""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from careloop.lib.encrypted import EncryptedTextField

NOT_RECORDED = "not_recorded"


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Administrator"
    RESEARCHER = "researcher", "Researcher"


STAFF_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER})


class Organisation(models.Model):
    """A tenant: a service or clinic running Careloop."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        return self.create_user(email, password, is_superuser=True, is_staff=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in; identified by e-mail. What they may do comes from Membership roles."""

    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Django admin access (operators only).")
    date_joined = models.DateTimeField(default=now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return f"user {self.pk}"

    def roles_in(self, organisation_id: uuid.UUID) -> set[str]:
        """Return the roles this user holds in one organisation."""
        return {m.role for m in self.memberships.all() if m.organisation_id == organisation_id}

    def has_staff_role(self) -> bool:
        """Tell whether the user holds any role that can see other people's data."""
        return any(m.role in STAFF_ROLES for m in self.memberships.all())


class Membership(models.Model):
    """One role a user holds in one organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.role} in {self.organisation_id}"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone")


class Demographic(models.TextChoices):
    """Shared 'not recorded' / 'prefer not to say' answers for every equity field."""

    NOT_RECORDED = NOT_RECORDED, "Not recorded"
    PREFER_NOT_TO_SAY = "prefer_not_to_say", "Prefer not to say"


class Patient(models.Model):
    """The clinical subject. Direct identifiers are encrypted; the id is random and opaque."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient")
    display_name = EncryptedTextField()
    date_of_birth = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    language = models.CharField(max_length=16, default="en")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    # Equity reporting fields: free codes from the organisation's code list, never blank.
    gender = models.CharField(max_length=40, default=NOT_RECORDED)
    sex_at_birth = models.CharField(max_length=40, default=NOT_RECORDED)
    ethnicity = models.CharField(max_length=80, default=NOT_RECORDED)
    disability = models.CharField(max_length=40, default=NOT_RECORDED)
    deprivation_decile = models.CharField(max_length=16, default=NOT_RECORDED)
    sexual_orientation = models.CharField(max_length=40, default=NOT_RECORDED)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"patient {self.pk}"

    def zone(self) -> zoneinfo.ZoneInfo:
        """The patient's own time zone: 'a day' is their local day."""
        return zoneinfo.ZoneInfo(self.timezone)


class CareTeam(models.Model):
    """Clinicians and the patients they treat together."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="care_teams")
    name = models.CharField(max_length=200)
    clinicians: models.ManyToManyField[User, CareTeamClinician] = models.ManyToManyField(
        User, through="CareTeamClinician", related_name="care_teams"
    )
    patients: models.ManyToManyField[Patient, CareTeamPatient] = models.ManyToManyField(
        Patient, through="CareTeamPatient", related_name="care_teams"
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["organisation", "name"], name="careteam_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CareTeamClinician(models.Model):
    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE)
    clinician = models.ForeignKey(User, on_delete=models.CASCADE)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["team", "clinician"], name="careteamclinician_unique"),
        ]

    def __str__(self) -> str:
        return f"clinician {self.clinician_id} in team {self.team_id}"


class CareTeamPatient(models.Model):
    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["team", "patient"], name="careteampatient_unique"),
        ]

    def __str__(self) -> str:
        return f"patient {self.patient_id} in team {self.team_id}"


class ApiToken(models.Model):
    """A bearer token for integrations and the patient app; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.prefix}"

    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > now() and self.user.is_active


def user_display(user: User) -> str:
    """How allauth names the signed-in user to themself (never written to logs)."""
    return user.email
