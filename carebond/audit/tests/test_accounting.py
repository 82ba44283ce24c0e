"""The accounting of access: one patient's events in plain words, over a period, paged, merged
records included, other patients and organisations left out, and every reading recorded."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from carebond.accounts.models import User
from carebond.audit.accounting import (
    check_period,
    default_period,
    get_accounting_page,
    iter_accounting,
    part_of,
    phrase_of,
    purpose_of,
)
from carebond.audit.models import AuditEvent
from carebond.audit.recording import record_access, record_audit
from carebond.core.errors import InvalidInput
from carebond.core.permissions import Role
from carebond.testing.fixtures import make_organization, make_user

pytestmark = pytest.mark.django_db

PATIENT, MERGED, OTHER = (
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
)


def test_codes_read_as_plain_words_with_a_fallback() -> None:
    assert phrase_of("person.read") == "Opened the patient's record"
    assert phrase_of("fhir.consent.read") == "Read consent (FHIR)"
    assert phrase_of("waitlist_offer.sent") == "Sent waitlist offer"
    assert phrase_of("kiosk.not_found") == "Kiosk: not found"
    assert part_of("appointment.booked") == "Scheduling"
    assert part_of("kiosk.not_found") == "Other"
    # and in Spanish, for the patient's printed copy
    assert phrase_of("appointment.booked", "es") == "Reservó una cita"
    assert phrase_of("fhir.consent.read", "es") == "Leyó consent (FHIR)"
    assert part_of("appointment.booked", "es") == "Citas"
    assert purpose_of("person.updated", "denied", "es") == "Denegado"


def test_the_accounting_of_one_patient_over_a_period(users_a: dict[str, User]) -> None:
    clinician, manager = users_a[Role.CLINICIAN], users_a[Role.MANAGER]
    # given reads of the patient seven years ago, last year and today, one of a record since
    # merged into theirs, one refused, and reads of another patient and in another organisation
    with time_machine.travel("2019-06-01 12:00Z", tick=False):
        record_access(actor=clinician, target=None, patient=PATIENT, action="person.read")
    with time_machine.travel("2025-06-01 12:00Z", tick=False):
        record_access(actor=clinician, target=None, patient=MERGED, action="person.read")
        record_audit(actor=clinician, patient=PATIENT, action="person.updated", outcome="denied")
    with time_machine.travel("2026-12-01 12:00Z", tick=False):
        record_access(actor=clinician, target=None, patient=PATIENT, action="appointment.read")
        record_access(actor=clinician, target=None, patient=OTHER, action="person.read")
        stranger = make_user(make_organization("org-z", "Zed"), Role.CLINICIAN, "zed")
        record_access(actor=stranger, target=None, patient=PATIENT, action="person.read")

    with time_machine.travel("2026-12-05 12:00Z", tick=False):
        # when the manager reads the last six years' accounting (the default period)
        page = get_accounting_page(
            user=manager, patient_public_id=PATIENT, merged_ids=[MERGED], period=default_period()
        )

    # then it lists this patient's and the merged record's events, newest first, in words,
    # with its own reading first, and nothing older than six years, of others or elsewhere
    assert page.period.since == date(2020, 12, 5)
    assert [(e.what, e.part, e.why) for e in page.entries] == [
        (
            "Read this accounting of access",
            "Right of access",
            "At the patient's request (accounting of access)",
        ),
        ("Opened an appointment", "Scheduling", ""),
        ("Changed the record", "Patient record", "Refused"),
        ("Opened the patient's record", "Patient record", ""),
    ]
    assert {e.who for e in page.entries} == {
        "Clinician Tester (clinician-org-a)",
        "Manager Tester (manager-org-a)",
    }
    # and the reading is recorded about the patient
    read = AuditEvent.objects.order_by("-id").first()
    assert read is not None
    assert (read.action, read.patient_id, read.actor) == ("accounting.read", PATIENT, manager)


def test_the_accounting_is_paged_and_downloaded_whole(users_a: dict[str, User]) -> None:
    clinician, admin = users_a[Role.CLINICIAN], users_a[Role.ADMIN]
    # given five reads of the patient
    for _ in range(5):
        record_access(actor=clinician, target=None, patient=PATIENT, action="person.read")
    period = default_period()
    # when the administrator reads the second page, two to a page
    page = get_accounting_page(
        user=admin, patient_public_id=PATIENT, merged_ids=[], period=period, page=2, page_size=2
    )
    # then it counts the five reads and the accounting's own reading, on three pages
    assert (page.number, page.pages, page.total, len(page.entries)) == (2, 3, 6, 2)
    # and the whole download holds every line, its own download first
    lines = list(
        iter_accounting(user=admin, patient_public_id=PATIENT, merged_ids=[], period=period)
    )
    assert [line.action for line in lines] == ["accounting.downloaded", "accounting.read"] + [
        "person.read"
    ] * 5


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_period(date(2026, 5, 1), date(2026, 4, 1))
    assert refused.value.field == "until"
