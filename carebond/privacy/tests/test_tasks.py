"""The privacy officers hear of a grant at once, by real email, with a link and no PHI."""

from __future__ import annotations

import pytest

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.people.models import Person
from carebond.privacy.actions import check_break_glass, check_review_grant
from carebond.privacy.models import BreakGlassGrant
from carebond.privacy.tasks import send_break_glass_alert
from carebond.testing.fixtures import Mailbox

pytestmark = pytest.mark.django_db(transaction=True)

WHY = "Patient collapsed at the desk; paramedics ask for her allergies."


def test_the_privacy_officer_is_emailed_a_link_and_nothing_about_the_patient(
    patient: Person,
    users_a: dict[str, User],
    smtp_server: Mailbox,
    tasks_run_now: None,
    settings: object,
) -> None:
    settings.BASE_URL = "https://carebond.example.org"  # type: ignore[attr-defined]
    # when the desk breaks the glass
    grant = check_break_glass(
        user=users_a[Role.FRONT_DESK],
        person_id=patient.public_id,
        reason="emergency_care",
        explanation=WHY,
    )
    # then the organisation's privacy officer (only) gets one email at once
    officer = users_a[Role.PRIVACY_OFFICER]
    assert [m["To"] for m in smtp_server.messages] == [officer.email]
    (message,) = smtp_server.messages
    body = message.get_content()
    assert message["Subject"] == "Break-glass access to review"
    assert f"https://carebond.example.org/privacy/reviews/{grant.public_id}/" in body
    assert "front_desk-org-a" in body
    assert "Emergency care" in body
    # and it names neither the patient nor the user's own words
    for phi in ("Ada", "Moreno", "paramedics", "allerg", str(patient.public_id)):
        assert phi not in body
    # sent once, even when the task runs again
    send_break_glass_alert.call(grant_id=grant.pk)
    assert len(smtp_server.messages) == 1
    assert BreakGlassGrant.objects.get().alerted_at is not None


def test_managers_hear_when_a_grant_is_found_not_appropriate(
    patient: Person, users_a: dict[str, User], smtp_server: Mailbox, tasks_run_now: None
) -> None:
    grant = check_break_glass(
        user=users_a[Role.LIAISON], person_id=patient.public_id, reason="other", explanation=WHY
    )
    check_review_grant(
        user=users_a[Role.PRIVACY_OFFICER],
        grant_id=grant.public_id,
        verdict="not_appropriate",
        note="No care relationship with this patient.",
    )
    (notice,) = smtp_server.to(users_a[Role.MANAGER].email)
    body = notice.get_content()
    assert "not appropriate" in body
    assert f"/privacy/reviews/{grant.public_id}/" in body
    assert "Moreno" not in body
    assert "care relationship" not in body
