"""Breaking the glass: a reason in words, one patient, a time limit, audited; and the review."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from carebond.core.permissions import Role
from carebond.people.access import parts_open_to
from carebond.people.models import Person
from carebond.privacy.actions import check_break_glass, check_review_grant
from carebond.privacy.models import BreakGlassGrant, Review

pytestmark = pytest.mark.django_db

WHY = "Patient collapsed at the desk; paramedics ask for her allergies."


def test_a_front_desk_user_opens_one_patients_withheld_parts_for_an_hour(
    patient: Person, users_a: dict[str, User]
) -> None:
    desk = users_a[Role.FRONT_DESK]
    # given the desk reads notes but not the medical history
    assert parts_open_to(desk, patient.public_id).history is False
    # when they break the glass with a reason
    grant = check_break_glass(
        user=desk, person_id=patient.public_id, reason="emergency_care", explanation=WHY
    )
    # then the history opens for this patient, for 60 minutes, and the grant is audited
    assert grant.expires_at - grant.granted_at == timedelta(minutes=60)
    assert parts_open_to(desk, patient.public_id).opened == {"history": "privacy.break_glass_read"}
    event = AuditEvent.objects.get(action="privacy.break_glass")
    assert (event.actor, event.patient_id, event.changed_fields) == (
        desk,
        str(patient.public_id),
        ["history"],
    )
    assert grant.review == Review.WAITING
    # and it ends by itself once the time is up
    with time_machine.travel(grant.expires_at + timedelta(seconds=1), tick=False):
        assert parts_open_to(desk, patient.public_id).opened == {}


def test_the_grant_opens_only_that_patient_for_only_that_user(
    patient: Person, users_a: dict[str, User]
) -> None:
    from carebond.people.tests.factories import make_patient

    other = make_patient(patient.organization, "Tom", "Brandt")
    check_break_glass(
        user=users_a[Role.LIAISON], person_id=patient.public_id, reason="other", explanation=WHY
    )
    assert parts_open_to(users_a[Role.LIAISON], patient.public_id).opened.keys() == {
        "notes",
        "history",
    }
    assert parts_open_to(users_a[Role.LIAISON], other.public_id).opened == {}
    assert parts_open_to(users_a[Role.FRONT_DESK], patient.public_id).opened == {}


def test_the_time_limit_is_a_setting_and_has_a_ceiling(
    patient: Person, users_a: dict[str, User], settings: object
) -> None:
    settings.BREAK_GLASS_MINUTES = 30  # type: ignore[attr-defined]
    grant = check_break_glass(
        user=users_a[Role.FRONT_DESK], person_id=patient.public_id, reason="other", explanation=WHY
    )
    assert grant.expires_at - grant.granted_at == timedelta(minutes=30)
    settings.BREAK_GLASS_MINUTES = 24 * 60  # type: ignore[attr-defined]
    later = check_break_glass(
        user=users_a[Role.LIAISON], person_id=patient.public_id, reason="other", explanation=WHY
    )
    assert later.expires_at - later.granted_at == timedelta(hours=4)


@pytest.mark.parametrize(
    ("reason", "explanation", "field", "says"),
    [
        ("", WHY, "reason", "Choose why you need access"),
        ("curiosity", WHY, "reason", "Choose why you need access"),
        ("emergency_care", "   ", "explanation", "Say why you need this record now"),
        ("emergency_care", "asdfgh", "explanation", "at least three"),
        ("emergency_care", "x x x x x", "explanation", "at least three"),
        ("emergency_care", "test test test", "explanation", "not a placeholder"),
        ("emergency_care", "1234 5678 !!!!", "explanation", "at least three"),
        ("emergency_care", "word " * 300, "explanation", "under 1001 characters"),
    ],
)
def test_a_blank_or_junk_reason_is_refused_beside_its_field(
    patient: Person, users_a: dict[str, User], reason: str, explanation: str, field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_break_glass(
            user=users_a[Role.FRONT_DESK],
            person_id=patient.public_id,
            reason=reason,
            explanation=explanation,
        )
    assert refused.value.field == field
    assert says in refused.value.message
    assert not BreakGlassGrant.objects.exists()
    assert not AuditEvent.objects.filter(action="privacy.break_glass").exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLINICIAN, Role.ANALYST, Role.PRIVACY_OFFICER])
def test_roles_with_nothing_withheld_or_no_records_cannot_break_the_glass(
    role: str, patient: Person, users_a: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        check_break_glass(
            user=users_a[role], person_id=patient.public_id, reason="other", explanation=WHY
        )
    assert not BreakGlassGrant.objects.exists()


def test_an_outsider_cannot_break_the_glass_on_another_organisations_patient(
    patient: Person, users_b: dict[str, User]
) -> None:
    with pytest.raises(NotFound):
        check_break_glass(
            user=users_b[Role.FRONT_DESK],
            person_id=patient.public_id,
            reason="emergency_care",
            explanation=WHY,
        )
    assert not BreakGlassGrant.objects.exists()


def test_one_running_grant_at_a_time(patient: Person, users_a: dict[str, User]) -> None:
    desk = users_a[Role.FRONT_DESK]
    check_break_glass(user=desk, person_id=patient.public_id, reason="other", explanation=WHY)
    with pytest.raises(RuleViolation, match="already have break-glass access"):
        check_break_glass(user=desk, person_id=patient.public_id, reason="other", explanation=WHY)
    with time_machine.travel(clock.now() + timedelta(minutes=61), tick=False):
        check_break_glass(user=desk, person_id=patient.public_id, reason="other", explanation=WHY)
    assert BreakGlassGrant.objects.count() == 2


def _grant(patient: Person, users_a: dict[str, User]) -> BreakGlassGrant:
    return check_break_glass(
        user=users_a[Role.FRONT_DESK],
        person_id=patient.public_id,
        reason="patient_at_desk",
        explanation=WHY,
    )


def test_a_privacy_officer_reviews_a_grant_once_and_it_is_audited(
    patient: Person, users_a: dict[str, User]
) -> None:
    grant = _grant(patient, users_a)
    officer = users_a[Role.PRIVACY_OFFICER]
    check_review_grant(user=officer, grant_id=grant.public_id, verdict="appropriate", note="")
    grant.refresh_from_db()
    assert (grant.review, grant.reviewed_by) == (Review.APPROPRIATE, officer)
    assert AuditEvent.objects.filter(action="privacy.break_glass_reviewed", actor=officer).exists()
    with pytest.raises(RuleViolation, match="already reviewed"):
        check_review_grant(
            user=officer, grant_id=grant.public_id, verdict="not_appropriate", note="x"
        )


def test_not_appropriate_needs_a_note_and_keeps_the_flag(
    patient: Person, users_a: dict[str, User]
) -> None:
    grant = _grant(patient, users_a)
    officer = users_a[Role.PRIVACY_OFFICER]
    with pytest.raises(InvalidInput) as refused:
        check_review_grant(
            user=officer, grant_id=grant.public_id, verdict="not_appropriate", note=" "
        )
    assert refused.value.field == "note"
    with pytest.raises(InvalidInput) as unchosen:
        check_review_grant(user=officer, grant_id=grant.public_id, verdict="", note="")
    assert unchosen.value.field == "verdict"
    grant.refresh_from_db()
    assert grant.review == Review.WAITING
    check_review_grant(
        user=officer,
        grant_id=grant.public_id,
        verdict="not_appropriate",
        note="The patient was not at the desk that day.",
    )
    grant.refresh_from_db()
    assert grant.review == Review.NOT_APPROPRIATE


def test_only_privacy_officers_of_the_organisation_review(
    patient: Person, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    grant = _grant(patient, users_a)
    with pytest.raises(PermissionDenied):
        check_review_grant(
            user=users_a[Role.ADMIN], grant_id=grant.public_id, verdict="appropriate", note=""
        )
    with pytest.raises(NotFound):
        check_review_grant(
            user=users_b[Role.PRIVACY_OFFICER],
            grant_id=grant.public_id,
            verdict="appropriate",
            note="",
        )
    grant.refresh_from_db()
    assert grant.review == Review.WAITING
