"""A practice for the survey tests: Alder Family Practice in Chicago, its main clinic and a
second location, a manager (staff at the main clinic) and an administrator, a patient who
agreed to be asked by text, and the built-in instruments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carebond.accounts.models import User
from carebond.core.models import Department, Location, Organization
from carebond.core.permissions import Role
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.people.actions import check_record_consent
from carebond.people.models import Person, StaffProfile
from carebond.people.tests.factories import make_patient, make_staff
from carebond.surveys.distribution_actions import check_invite, month_wave, send_invitation
from carebond.surveys.instrument_actions import ensure_built_in_instruments
from carebond.surveys.models import Instrument, Invitation, Wave

CHICAGO = ZoneInfo("America/Chicago")
# Tuesday 3 March 2026, 10:00 in Chicago: inside every quiet-hours window.
TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO)


@pytest.fixture
def tuesday(db: Any) -> Iterator[Any]:
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller


def consent(person: Person, purpose: str = "survey", channel: str = "sms") -> None:
    check_record_consent(
        person,
        channel=channel,
        purpose=purpose,
        status="granted",
        method="written",
        acting_user=None,
    )


@dataclass
class Practice:
    organization: Organization
    main: Location
    north: Location
    manager: User
    admin: User
    patient: Person

    def instrument(self, key: str) -> Instrument:
        return Instrument.objects.get(organization=self.organization, key=key)

    def wave(self, key: str) -> Wave:
        return month_wave(self.instrument(key), None, TUESDAY.date())

    def patient_named(self, given: str, family: str, *, phone: str = "") -> Person:
        person = make_patient(self.organization, given, family, phone=phone or "")
        if phone:
            consent(person)
        return person


def invite(
    practice: Practice,
    person: Person,
    key: str = "post-visit",
    *,
    subject: str = "visit:1",
    **kwargs: Any,
) -> tuple[Invitation, str]:
    """An invitation sent now; returns it and its link's token."""
    invitation = check_invite(
        person,
        wave=practice.wave(key),
        subject_key=subject,
        location=kwargs.pop("location", practice.main),
        acting_user=None,
        **kwargs,
    )
    send_invitation(invitation.id)
    invitation.refresh_from_db()
    return invitation, invitation.link_token


@pytest.fixture
def practice(tuesday: Any, org_a: Organization, users_a: dict[str, User]) -> Practice:
    return make_practice(org_a, users_a)


def make_practice(org_a: Organization, users_a: dict[str, User]) -> Practice:
    """The practice of these tests (also built by the browser tests, which keep real time)."""
    main = Location.objects.create(
        organization=org_a, name="Main clinic", time_zone="America/Chicago"
    )
    north = Location.objects.create(
        organization=org_a, name="North clinic", time_zone="America/Chicago"
    )
    manager = users_a[Role.MANAGER]
    staff = make_staff(org_a, "Dana", "Whitfield", job_title="Practice manager")
    StaffProfile.objects.filter(person=staff).update(user=manager, location=main)
    ensure_built_in_templates(org_a)
    check_add_sender(
        org_a,
        channel="sms",
        address="+13125550100",
        label="Main number",
        purposes=["survey", "recovery", "staff", "appointment", "care", "referral", "reply"],
    )
    check_add_sender(
        org_a,
        channel="email",
        address="care@alder.test",
        label="Practice email",
        purposes=["survey", "recovery", "staff", "appointment", "care", "referral", "reply"],
    )
    ensure_built_in_instruments(org_a)
    patient = make_patient(org_a, "Rosa", "Diaz", phone="+13125550123")
    consent(patient)
    return Practice(org_a, main, north, manager, users_a[Role.ADMIN], patient)


def department(organization: Organization, name: str, location: Location) -> Department:
    return Department.objects.create(organization=organization, name=name, location=location)
