"""Every foreign key to a person is one a merge moves (registered by its app) or deliberately
leaves (exempt, with a reason); and a merge and its undo move every registered relation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from carebond.accounts.models import User
from carebond.analytics.health_models import AtRiskAction, HealthOverride
from carebond.billing.models import BillingStatement
from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.core.registry import PersonRelation, person_link_exemptions, person_relations
from carebond.interop.models import StoredResource
from carebond.messaging.models import Conversation, Message, RevocationRequest, SecureNote
from carebond.people.merge_actions import check_merge_people, check_undo_merge
from carebond.people.models import (
    Address,
    CareTeamMember,
    ConsentRecord,
    ContactPoint,
    HistoryItem,
    Identifier,
    Person,
    PersonalNote,
    ReferralSourceProfile,
    Relationship,
)
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    ScheduleException,
    ScheduleTemplate,
    SelfBooking,
    TypeProvider,
    WaitlistEntry,
    WaitlistOpening,
    WaitlistProvider,
)
from carebond.surveys.models import (
    Comment,
    Instrument,
    InstrumentVersion,
    Invitation,
    RecognitionSuggestion,
    RecoveryCase,
    Response,
    Wave,
)
from carebond.touchpoints.models import Touchpoint
from carebond.value_maps.models import Respondent
from carebond.value_maps.tests.stored import make_study


def person_links(models_: Iterable[type[models.Model]]) -> list[str]:
    """'app.Model.field' for every foreign key (or one-to-one) to a person."""
    return [
        f"{model._meta.label}.{field.name}"
        for model in models_
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and field.is_relation and field.related_model is Person
    ]


def unaccounted_person_links(models_: Iterable[type[models.Model]]) -> list[str]:
    known = {r.key for r in person_relations()} | {e.key for e in person_link_exemptions()}
    return [link for link in person_links(models_) if link not in known]


def test_every_foreign_key_to_a_person_is_registered_or_exempt() -> None:
    assert unaccounted_person_links(apps.get_models()) == []


def test_every_registration_names_a_real_link_to_a_person() -> None:
    # a registration left behind by a renamed field would hide an unmoved relation
    real = set(person_links(apps.get_models()))
    registered = {r.key for r in person_relations()} | {e.key for e in person_link_exemptions()}
    assert registered - real == set()


@isolate_apps("carebond.people")
def test_a_new_link_that_nobody_registered_is_named() -> None:
    # given a model an app adds, pointing at a person, and registered nowhere
    class Appointment(models.Model):  # noqa: DJ008 (a model that only exists in this test)
        patient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "people"

    # then the rule names it, so the merge cannot silently strand its rows
    assert unaccounted_person_links([Appointment]) == ["people.Appointment.patient"]


# --- a merge and its undo, over every registered relation ------------------------------------

RowMaker = Callable[[Person, Organization, User], models.Model]


def _patient(organization: Organization) -> Person:
    return make_patient(organization, "Other", "Patient", birth_date=date(1990, 1, 1))


def _touchpoint(
    person: Person, organization: Organization, *, staff: Person | None = None
) -> Touchpoint:
    now = clock.now()
    return Touchpoint.objects.create(
        organization=organization,
        person=person,
        staff=staff,
        kind="call",
        channel="phone",
        direction="outbound",
        occurred_at=now,
        recorded_at=now,
    )


def _study_respondent(person: Person, org: Organization, user: User) -> models.Model:
    study = make_study(org, user, title=f"Study of {person.pk}")
    return Respondent.objects.create(
        organization=org, study=study, label="P-1", person=person, created_at=clock.now()
    )


def _appointment(patient: Person, provider: Person, organization: Organization) -> models.Model:
    """A booked visit, each at its own hour (one patient is never in two places at once)."""
    location, _ = Location.objects.get_or_create(organization=organization, name="Merge clinic")
    kind, _ = AppointmentType.objects.get_or_create(
        organization=organization, key="visit", defaults={"name": "Visit", "duration_minutes": 30}
    )
    starts = clock.now() + timedelta(days=1, hours=Appointment.objects.count())
    return Appointment.objects.create(
        organization=organization,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        duration_minutes=30,
        time_zone="America/Chicago",
        group_key=uuid.uuid4().hex,
        booked_at=clock.now(),
    )


def _held_time(provider: Person, organization: Organization) -> models.Model:
    """A time a patient holds online with the provider."""
    visit = _appointment(_patient(organization), provider, organization)
    return SelfBooking.objects.create(
        organization=organization,
        token=uuid.uuid4().hex,
        appointment_type_id=visit.appointment_type_id,  # type: ignore[attr-defined]
        provider=provider,
        location_id=visit.location_id,  # type: ignore[attr-defined]
        starts_at=clock.now() + timedelta(days=30),
        ends_at=clock.now() + timedelta(days=30, minutes=30),
        group_key=uuid.uuid4().hex,
        created_at=clock.now(),
        hold_expires_at=clock.now() + timedelta(minutes=10),
        client_key="test",
    )


def _template(provider: Person, organization: Organization) -> models.Model:
    location, _ = Location.objects.get_or_create(organization=organization, name="Merge clinic")
    return ScheduleTemplate.objects.create(
        organization=organization,
        provider=provider,
        location=location,
        name="Week",
        starts_on=clock.now().date(),
    )


def _waitlist_entry(patient: Person, organization: Organization) -> WaitlistEntry:
    kind, _ = AppointmentType.objects.get_or_create(
        organization=organization, key="visit", defaults={"name": "Visit", "duration_minutes": 30}
    )
    return WaitlistEntry.objects.create(
        organization=organization, patient=patient, appointment_type=kind
    )


def _opening(provider: Person, organization: Organization) -> WaitlistOpening:
    location, _ = Location.objects.get_or_create(organization=organization, name="Merge clinic")
    starts = clock.now() + timedelta(days=1)
    return WaitlistOpening.objects.create(
        organization=organization,
        provider=provider,
        location=location,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        freed_at=clock.now(),
    )


def _survey_wave(organization: Organization) -> Wave:
    instrument, _ = Instrument.objects.get_or_create(
        organization=organization, key="merge-survey", defaults={"name": "Survey", "kind": "custom"}
    )
    InstrumentVersion.objects.get_or_create(
        organization=organization,
        instrument=instrument,
        number=1,
        defaults={"status": "published", "definition": {"sections": []}, "created_at": clock.now()},
    )
    wave, _ = Wave.objects.get_or_create(
        organization=organization,
        instrument=instrument,
        rule=None,
        starts_on=date(2026, 3, 1),
        defaults={"ends_on": date(2026, 3, 31), "label": "March"},
    )
    return wave


def _invitation(
    person: Person, organization: Organization, provider: Person | None = None
) -> Invitation:
    wave = _survey_wave(organization)
    now = clock.now()
    return Invitation.objects.create(
        organization=organization,
        wave=wave,
        version=wave.instrument.versions.get(),
        person=person if provider is None else _patient(organization),
        provider=provider,
        channel="sms",
        language="en",
        status="sent",
        created_at=now,
        send_after=now,
        expires_at=now + timedelta(days=14),
        subject_key=uuid.uuid4().hex,
    )


def _response(
    person: Person, organization: Organization, provider: Person | None = None
) -> Response:
    wave = _survey_wave(organization)
    return Response.objects.create(
        organization=organization,
        wave=wave,
        version=wave.instrument.versions.get(),
        person=person if provider is None else _patient(organization),
        provider=provider,
        status="completed",
        language="en",
        started_at=clock.now(),
        updated_at=clock.now(),
    )


def _praise(staff: Person, organization: Organization) -> RecognitionSuggestion:
    response = _response(_patient(organization), organization)
    comment = Comment.objects.create(
        organization=organization,
        response=response,
        link_id="went_well",
        text="Kind and clear.",
        language="en",
        instrument=response.version.instrument,
        received_on=date(2026, 3, 3),
    )
    return RecognitionSuggestion.objects.create(
        organization=organization, staff=staff, comment=comment, created_at=clock.now()
    )


# Which kind of record each relation hangs off, and how to give the duplicate one row of it.
def _message(person: Person, organization: Organization) -> Message:
    now = clock.now()
    return Message.objects.create(
        organization=organization,
        person=person,
        direction="inbound",
        channel="sms",
        to_address="+13125550100",
        from_address="+13125550123",
        body="Running late",
        status="received",
        idempotency_key=f"inbound:{Message.objects.count()}:{person.pk}",
        due_at=now,
        created_at=now,
    )


ROW_MAKERS: dict[str, tuple[str, RowMaker]] = {
    "analytics.HealthOverride.person": (
        "patient",
        lambda p, o, u: HealthOverride.objects.create(
            organization=o,
            person=p,
            part="overall",
            score=40,
            comment="Moving",
            by=u,
            at=clock.now(),
        ),
    ),
    "analytics.AtRiskAction.person": (
        "patient",
        lambda p, o, u: AtRiskAction.objects.create(
            organization=o,
            person=p,
            reason="Overdue",
            suggested="call",
            taken=True,
            decided_at=clock.now(),
            decided_by=u,
        ),
    ),
    "people.ConsentRecord.person": (
        "patient",
        lambda p, o, u: ConsentRecord.objects.create(
            organization=o,
            person=p,
            channel="sms",
            purpose="appointment",
            status="granted",
            method="verbal",
            recorded_at=clock.now(),
        ),
    ),
    "people.ContactPoint.person": (
        "patient",
        lambda p, o, u: ContactPoint.objects.create(
            organization=o, person=p, system="phone", value=f"+1217555{p.pk:04d}"
        ),
    ),
    "people.Identifier.person": (
        "patient",
        lambda p, o, u: Identifier.objects.create(
            organization=o, person=p, system="urn:test", value=f"X-{p.pk}"
        ),
    ),
    "people.Address.person": (
        "patient",
        lambda p, o, u: Address.objects.create(organization=o, person=p, line1="1 Main St"),
    ),
    "people.HistoryItem.person": (
        "patient",
        lambda p, o, u: HistoryItem.objects.create(
            organization=o, person=p, category="problem", display="Asthma"
        ),
    ),
    "people.PersonalNote.person": (
        "patient",
        lambda p, o, u: PersonalNote.objects.create(
            organization=o, person=p, text="Likes mornings", author=u, created_at=clock.now()
        ),
    ),
    "people.Relationship.patient": (
        "patient",
        lambda p, o, u: Relationship.objects.create(
            organization=o, patient=p, related=_patient(o), relationship="spouse"
        ),
    ),
    "people.Relationship.related": (
        "patient",
        lambda p, o, u: Relationship.objects.create(
            organization=o, patient=_patient(o), related=p, relationship="parent"
        ),
    ),
    "people.CareTeamMember.patient": (
        "patient",
        lambda p, o, u: CareTeamMember.objects.create(
            organization=o, patient=p, staff=make_staff(o, "Care", "Giver"), role="Nurse"
        ),
    ),
    "people.CareTeamMember.staff": (
        "staff",
        lambda p, o, u: CareTeamMember.objects.create(
            organization=o, patient=_patient(o), staff=p, role="Physician"
        ),
    ),
    "people.StaffProfile.person": ("staff", lambda p, o, u: p.staff_profile),
    "people.ReferralSourceProfile.person": (
        "patient",
        lambda p, o, u: ReferralSourceProfile.objects.create(
            organization=o, person=p, source_type="practitioner"
        ),
    ),
    "touchpoints.Touchpoint.person": ("patient", lambda p, o, u: _touchpoint(p, o)),
    "touchpoints.Touchpoint.staff": ("staff", lambda p, o, u: _touchpoint(_patient(o), o, staff=p)),
    "value_maps.Respondent.person": ("patient", _study_respondent),
    "messaging.Message.person": ("patient", lambda p, o, u: _message(p, o)),
    "messaging.Conversation.person": (
        "patient",
        lambda p, o, u: Conversation.objects.create(
            organization=o, person=p, channel="sms", address=f"+1217555{p.pk:04d}"
        ),
    ),
    "messaging.RevocationRequest.person": (
        "patient",
        lambda p, o, u: RevocationRequest.objects.create(
            organization=o, person=p, message=_message(p, o)
        ),
    ),
    "messaging.SecureNote.person": (
        "patient",
        lambda p, o, u: SecureNote.objects.create(
            organization=o,
            person=p,
            body="Your result is fine.",
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(days=14),
        ),
    ),
    "scheduling.Appointment.patient": (
        "patient",
        lambda p, o, u: _appointment(p, make_staff(o, "Ines", f"Doc{p.pk}"), o),
    ),
    "scheduling.Appointment.provider": ("staff", lambda p, o, u: _appointment(_patient(o), p, o)),
    "scheduling.ScheduleTemplate.provider": ("staff", lambda p, o, u: _template(p, o)),
    "scheduling.ScheduleException.provider": (
        "staff",
        lambda p, o, u: ScheduleException.objects.create(
            organization=o,
            provider=p,
            starts_at=clock.now(),
            ends_at=clock.now() + timedelta(hours=1),
            reason="Leave",
        ),
    ),
    "scheduling.SelfBooking.provider": ("staff", lambda p, o, u: _held_time(p, o)),
    "scheduling.TypeProvider.provider": (
        "staff",
        lambda p, o, u: TypeProvider.objects.create(
            appointment_type=AppointmentType.objects.create(
                organization=o, key=f"type-{p.pk}", name="Type", duration_minutes=20
            ),
            provider=p,
        ),
    ),
    "scheduling.WaitlistEntry.patient": ("patient", lambda p, o, u: _waitlist_entry(p, o)),
    "scheduling.WaitlistProvider.provider": (
        "staff",
        lambda p, o, u: WaitlistProvider.objects.create(
            entry=_waitlist_entry(_patient(o), o), provider=p
        ),
    ),
    "scheduling.WaitlistOpening.provider": ("staff", lambda p, o, u: _opening(p, o)),
    "surveys.Invitation.person": ("patient", lambda p, o, u: _invitation(p, o)),
    "surveys.Invitation.provider": ("staff", lambda p, o, u: _invitation(p, o, provider=p)),
    "surveys.Response.person": ("patient", lambda p, o, u: _response(p, o)),
    "surveys.Response.provider": ("staff", lambda p, o, u: _response(p, o, provider=p)),
    "surveys.RecoveryCase.person": (
        "patient",
        lambda p, o, u: RecoveryCase.objects.create(
            organization=o,
            person=p,
            source="complaint",
            status="open",
            opened_at=clock.now(),
            due_at=clock.now() + timedelta(hours=24),
        ),
    ),
    "surveys.RecognitionSuggestion.staff": ("staff", lambda p, o, u: _praise(p, o)),
    "billing.BillingStatement.patient": (
        "patient",
        lambda p, o, u: BillingStatement.objects.create(
            organization=o,
            patient=p,
            statement_date=clock.now().date(),
            amount_billed=Decimal("120.00"),
            amount_due=Decimal("20.00"),
            status="open",
            source="csv",
            external_id=f"S-{p.pk}",
        ),
    ),
    "interop.StoredResource.person": (
        "patient",
        lambda p, o, u: StoredResource.objects.create(
            organization=o,
            resource_type="Appointment",
            person=p,
            body="{}",
            updated_at=clock.now(),
        ),
    ),
}


def test_the_merge_test_covers_every_registered_relation() -> None:
    # a new app's relation must be added to ROW_MAKERS, so that its merge and undo are tested
    assert {r.key for r in person_relations()} - set(ROW_MAKERS) == set()


def _pair(kind: str, organization: Organization) -> tuple[Person, Person]:
    if kind == "staff":
        return make_staff(organization, "Dana", "Reyes"), make_staff(organization, "Dana", "Reyes")
    return (
        make_patient(organization, "Ana", "Silva", birth_date=date(1970, 2, 3)),
        make_patient(organization, "Anna", "Silva", birth_date=date(1970, 2, 3)),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["patient", "staff"])
def test_merge_and_undo_move_every_registered_relation(
    kind: str, org_a: Organization, admin_a: User
) -> None:
    # given two records of one person, each with a row of every relation that hangs off them
    survivor, duplicate = _pair(kind, org_a)
    relations: dict[str, PersonRelation] = {r.key: r for r in person_relations()}
    rows: dict[str, tuple[models.Model, models.Model]] = {}
    for key, (owner_kind, make) in ROW_MAKERS.items():
        if owner_kind == kind and not relations[key].one_per_person:
            rows[key] = (make(survivor, org_a, admin_a), make(duplicate, org_a, admin_a))
    profiles = {
        key: make(duplicate, org_a, admin_a)
        for key, (owner_kind, make) in ROW_MAKERS.items()
        if owner_kind == kind and relations[key].one_per_person
    }

    def owner(key: str, row: models.Model) -> int:
        row.refresh_from_db()
        return getattr(row, f"{relations[key].field}_id")  # type: ignore[no-any-return]

    # when they are merged
    record = check_merge_people(survivor, duplicate, acting_user=admin_a)
    # then every row of the duplicate now hangs off the survivor, and the survivor's stay put
    for key, (kept, moved) in rows.items():
        assert (key, owner(key, kept), owner(key, moved)) == (key, survivor.pk, survivor.pk)
    # (a profile moves only when the survivor has none: two staff records each have theirs)
    survivor_has = {
        key: relations[key]
        .model._default_manager.filter(**{relations[key].field: survivor})
        .exclude(pk=profile.pk)
        .exists()
        for key, profile in profiles.items()
    }
    for key, profile in profiles.items():
        expected = duplicate.pk if survivor_has[key] else survivor.pk
        assert (key, owner(key, profile)) == (key, expected)

    # when the merge is undone
    check_undo_merge(record, acting_user=admin_a)
    # then exactly the moved rows went back
    for key, (kept, moved) in rows.items():
        assert (key, owner(key, kept), owner(key, moved)) == (key, survivor.pk, duplicate.pk)
    for key, profile in profiles.items():
        assert (key, owner(key, profile)) == (key, duplicate.pk)
