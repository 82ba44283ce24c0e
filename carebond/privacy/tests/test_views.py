"""The break-glass pages: the button where parts are withheld, the form's errors beside their
fields, the officer's queue and review; each page for its roles only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.people.models import Person
from carebond.privacy.actions import check_break_glass
from carebond.privacy.models import BreakGlassGrant, Review
from carebond.privacy.tests.conftest import ALLERGY, NOTE

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
WHY = "Patient collapsed at the desk; paramedics ask for her allergies."


def test_the_desk_sees_what_is_withheld_and_breaks_the_glass(
    patient: Person, users_a: dict[str, User], client_for: ClientFor
) -> None:
    desk = client_for(users_a[Role.FRONT_DESK])
    panels = f"/people/{patient.public_id}/panels/"
    # given the side panels show the notes but not the history, and say so
    before = desk.get(panels).content.decode()
    assert NOTE in before
    assert ALLERGY not in before
    assert "Your role does not read Medical history summary" in before
    assert f"/privacy/break-glass/{patient.public_id}/" in before
    # when the desk breaks the glass
    done = desk.post(
        f"/privacy/break-glass/{patient.public_id}/",
        {"reason": "emergency_care", "explanation": WHY},
    )
    # then they are back on the person page, and the history is there, with the time limit
    assert done.status_code == 302
    assert done["Location"] == f"/people/{patient.public_id}/"
    after = desk.get(panels).content.decode()
    assert ALLERGY in after
    assert "Break-glass access until" in after
    assert "Break the glass</a>" not in after


def test_notes_opened_by_break_glass_are_read_not_written(
    patient: Person, users_a: dict[str, User], client_for: ClientFor
) -> None:
    liaison = users_a[Role.LIAISON]
    check_break_glass(user=liaison, person_id=patient.public_id, reason="other", explanation=WHY)
    panels = client_for(liaison).get(f"/people/{patient.public_id}/panels/").content.decode()
    assert NOTE in panels
    assert "Add note" not in panels
    desk_panels = client_for(users_a[Role.FRONT_DESK]).get(f"/people/{patient.public_id}/panels/")
    assert "Add note" in desk_panels.content.decode()


def test_the_forms_errors_appear_beside_their_fields_and_nothing_is_stored(
    patient: Person, users_a: dict[str, User], client_for: ClientFor
) -> None:
    page = client_for(users_a[Role.FRONT_DESK]).post(
        f"/privacy/break-glass/{patient.public_id}/", {"reason": "", "explanation": "asdf"}
    )
    assert page.status_code == 422
    form = page.context["form"]
    assert "Choose why you need access" in form.errors["reason"][0]
    assert "at least three" in form.errors["explanation"][0]
    # a reason the form does not offer is refused the same way
    junk = client_for(users_a[Role.FRONT_DESK]).post(
        f"/privacy/break-glass/{patient.public_id}/", {"reason": "curiosity", "explanation": WHY}
    )
    assert junk.status_code == 422
    assert (
        "curiosity is not one of the available choices" in junk.context["form"].errors["reason"][0]
    )
    assert not BreakGlassGrant.objects.exists()


def test_the_officer_reviews_from_the_queue(
    patient: Person, users_a: dict[str, User], client_for: ClientFor
) -> None:
    grant = check_break_glass(
        user=users_a[Role.FRONT_DESK], person_id=patient.public_id, reason="other", explanation=WHY
    )
    officer = client_for(users_a[Role.PRIVACY_OFFICER])
    home = officer.get("/").content.decode()
    assert "Break-glass reviews" in home
    assert "<strong>1</strong> break-glass access waiting" in home
    queue = officer.get("/privacy/reviews/").content.decode()
    assert "Front_Desk Tester opened Ada Moreno" in queue
    detail = officer.get(f"/privacy/reviews/{grant.public_id}/").content.decode()
    assert WHY in detail
    assert "Save the review" in detail
    refused = officer.post(f"/privacy/reviews/{grant.public_id}/", {"verdict": "not_appropriate"})
    assert refused.status_code == 422
    assert "Say why the access was not appropriate" in refused.context["form"].errors["note"][0]
    junk = officer.post(f"/privacy/reviews/{grant.public_id}/", {"verdict": "maybe"})
    assert junk.status_code == 422
    assert "maybe is not one of the available choices" in junk.context["form"].errors["verdict"][0]
    saved = officer.post(
        f"/privacy/reviews/{grant.public_id}/",
        {"verdict": "not_appropriate", "note": "No emergency that day."},
    )
    assert saved.status_code == 302
    grant.refresh_from_db()
    assert grant.review == Review.NOT_APPROPRIATE
    assert "Not appropriate" in officer.get("/privacy/reviews/").content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_each_page_for_its_roles_only(
    role: str, patient: Person, users_a: dict[str, User], client_for: ClientFor
) -> None:
    grant = check_break_glass(
        user=users_a[Role.LIAISON], person_id=patient.public_id, reason="other", explanation=WHY
    )
    client = client_for(users_a[role])
    statuses = (
        client.get(f"/privacy/break-glass/{patient.public_id}/").status_code,
        client.get("/privacy/reviews/").status_code,
        client.get(f"/privacy/reviews/{grant.public_id}/").status_code,
    )
    expected: tuple[int, int, int] = {
        Role.FRONT_DESK: (200, 403, 403),
        Role.LIAISON: (200, 403, 403),
        Role.MANAGER: (403, 403, 200),
        Role.PRIVACY_OFFICER: (403, 200, 200),
    }.get(Role(role), (403, 403, 403))
    assert statuses == expected


def test_the_privacy_officer_reads_the_audit_trail_but_no_person_page(
    patient: Person, users_a: dict[str, User], client_for: ClientFor
) -> None:
    officer = client_for(users_a[Role.PRIVACY_OFFICER])
    assert officer.get("/audit/").status_code == 200
    assert officer.get(f"/people/{patient.public_id}/").status_code in (403, 404)
