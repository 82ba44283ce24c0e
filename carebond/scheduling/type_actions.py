"""Visit types, kept on a page by managers: their length, mode, who they are for, capacity, who
offers them and their booking rules. A type in use is never deleted (visits keep it): it is
switched off, and no longer offered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from carebond.audit.recording import record_audit
from carebond.core.errors import InvalidInput
from carebond.people.models import Person, PersonKind
from carebond.scheduling.models import AppointmentType, PatientRule, VisitMode

if TYPE_CHECKING:
    from carebond.accounts.models import User

# (field, lowest, highest, what it is in words)
BOUNDS = (
    ("duration_minutes", 5, 480, "A visit lasts 5 to 480 minutes."),
    ("capacity", 1, 100, "A visit takes 1 to 100 patients."),
    ("min_notice_minutes", 0, 60 * 24 * 60, "The notice is 0 to 60 days, in minutes."),
    ("max_days_ahead", 1, 730, "Visits are booked 1 to 730 days ahead."),
    ("cancel_notice_hours", 0, 24 * 14, "The cancellation notice is 0 to 336 hours."),
)
FIELDS = (
    "name",
    "name_es",
    "duration_minutes",
    "mode",
    "patients",
    "specialty",
    "referral_required",
    "capacity",
    "min_notice_minutes",
    "not_same_day",
    "max_days_ahead",
    "cancel_notice_hours",
    "max_per_patient",
    "online",
    "active",
    "reminder_hours",
)


def check_save_appointment_type(
    appointment_type: AppointmentType | None,
    *,
    values: dict[str, Any],
    providers: list[Person],
    acting_user: User,
) -> AppointmentType:
    """Add a visit type (``appointment_type`` None) or change one. Audit:
    appointment_type.added or appointment_type.changed (the fields' names)."""
    name = str(values.get("name", "")).strip()
    if not name:
        raise InvalidInput("Name the visit type.", field="name")
    for field, low, high, words in BOUNDS:
        if not low <= int(values.get(field) or 0) <= high:
            raise InvalidInput(words, field=field)
    if values.get("max_per_patient") is not None and not 1 <= values["max_per_patient"] <= 50:
        raise InvalidInput(
            "A patient holds 1 to 50 future visits of a type.", field="max_per_patient"
        )
    if values.get("mode") not in VisitMode.values:
        raise InvalidInput("Choose in person or telehealth.", field="mode")
    if values.get("patients") not in PatientRule.values:
        raise InvalidInput("Choose who the visit is for.", field="patients")
    hours = values.get("reminder_hours") or []
    if len(hours) > 4 or any(not 1 <= h <= 24 * 14 for h in hours):
        raise InvalidInput(
            "Up to four reminders, each 1 to 336 hours before the visit.", field="reminder_hours"
        )
    values["reminder_hours"] = sorted(set(hours), reverse=True)
    if values["patients"] != PatientRule.ANY and not str(values.get("specialty", "")).strip():
        raise InvalidInput(
            "Name the specialty: new or established is judged within it.", field="specialty"
        )
    for provider in providers:
        if (
            provider.kind != PersonKind.STAFF
            or provider.organization_id != acting_user.organization_id
        ):
            raise InvalidInput("Choose the practice's providers.", field="providers")
    return do_save_appointment_type(
        appointment_type, values=values, providers=providers, acting_user=acting_user
    )


@transaction.atomic
def do_save_appointment_type(
    appointment_type: AppointmentType | None,
    *,
    values: dict[str, Any],
    providers: list[Person],
    acting_user: User,
) -> AppointmentType:
    adding = appointment_type is None
    if appointment_type is None:
        appointment_type = AppointmentType(
            organization_id=acting_user.organization_id, key=_free_key(acting_user, values["name"])
        )
    changed = [f for f in FIELDS if getattr(appointment_type, f, None) != values.get(f)]
    for field in FIELDS:
        setattr(appointment_type, field, values.get(field))
    appointment_type.name = appointment_type.name.strip()
    try:
        with transaction.atomic():
            appointment_type.save()
    except IntegrityError:
        raise InvalidInput("A visit type with this name exists already.", field="name") from None
    appointment_type.providers.set(providers)
    record_audit(
        actor=acting_user,
        action="appointment_type.added" if adding else "appointment_type.changed",
        target=appointment_type,
        changed_fields=changed,
    )
    return appointment_type


def _free_key(acting_user: User, name: str) -> str:
    """A key from the name ("Follow-up visit" -> follow-up-visit), made unique."""
    base = slugify(name)[:50] or "visit"
    key, n = base, 1
    taken = set(
        AppointmentType.objects.filter(organization_id=acting_user.organization_id).values_list(
            "key", flat=True
        )
    )
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key
