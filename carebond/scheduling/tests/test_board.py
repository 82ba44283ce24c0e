"""The front desk's board: each visit in the place its patient is, with the time there and a
warning past the practice's limits; one audited read; a stream that sends the board again when
a visit moves on."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import NotFound
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment, check_visit_step
from carebond.scheduling.board_selectors import board_signature, list_board
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import MONDAY_MORNING, Clinic
from carebond.testing.fixtures import sign_in


def _visit(clinic: Clinic, given: str, hour: int, minute: int = 0) -> Appointment:
    return check_book_appointment(
        make_patient(clinic.organization, given, "Board"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=MONDAY_MORNING.replace(hour=hour, minute=minute),
        acting_user=None,
    )


def _places(board: object) -> dict[str, list[tuple[str, str, str]]]:
    return {
        column.key: [
            (c.row.appointment.patient.given_name, c.says, c.warning) for c in column.cards
        ]
        for column in board.columns  # type: ignore[attr-defined]
    }


def test_each_patient_is_where_they_are_with_the_wait_and_its_warning(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    ana, ben, cy, _dee = (
        _visit(clinic, g, h) for g, h in (("Ana", 9), ("Ben", 10), ("Cy", 11), ("Dee", 14))
    )
    with time_machine.travel(MONDAY_MORNING.replace(hour=9, minute=50), tick=False):
        check_visit_step(ana, step="arrive", acting_user=None)
        check_visit_step(ben, step="arrive", acting_user=None)
        check_visit_step(ben, step="room", acting_user=None)
    with time_machine.travel(MONDAY_MORNING.replace(hour=10, minute=5), tick=False):
        check_visit_step(cy, step="arrive", acting_user=None)
    # at 10:12: Ana has waited 22 minutes (warned from 15), Ben has been in a room 22 (alert
    # from 20), Cy waited 7; Dee is expected
    with time_machine.travel(MONDAY_MORNING.replace(hour=10, minute=12), tick=False):
        board = list_board(user=users_a[Role.FRONT_DESK], location=clinic.location)
    assert _places(board) == {
        "expected": [("Dee", "", "")],
        "waiting": [("Ana", "waiting 22 min", "warn"), ("Cy", "waiting 7 min", "")],
        "roomed": [("Ben", "in the room 22 min", "alert")],
        "seen": [],
    }
    assert AuditEvent.objects.filter(action="appointment.list").count() == 1
    # a patient not come 25 minutes after the start is flagged late
    with time_machine.travel(MONDAY_MORNING.replace(hour=14, minute=25), tick=False):
        board = list_board(user=users_a[Role.FRONT_DESK], location=clinic.location, audited=False)
    assert _places(board)["expected"] == [
        ("Dee", "late: not arrived 25 min after the start", "alert")
    ]
    assert AuditEvent.objects.filter(action="appointment.list").count() == 1


def test_the_signature_changes_when_a_visit_moves_on(clinic: Clinic) -> None:
    visit = _visit(clinic, "Eve", 9)
    before = board_signature(clinic.location)
    assert board_signature(clinic.location) == before
    check_visit_step(visit, step="arrive", acting_user=None)
    assert board_signature(clinic.location) != before


def test_no_board_for_the_analyst_or_another_organisation(
    clinic: Clinic, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    for user in (users_a[Role.ANALYST], users_b[Role.FRONT_DESK]):
        with pytest.raises(NotFound):
            list_board(user=user, location=clinic.location)


def test_the_stream_sends_the_board_again_when_a_patient_arrives(
    clinic: Clinic, users_a: dict[str, User], client: Client
) -> None:
    visit = _visit(clinic, "Fay", 9)
    sign_in(client, users_a[Role.FRONT_DESK])
    answer = client.get("/schedule/board/stream/", {"location": str(clinic.location.public_id)})
    assert answer["Content-Type"] == "text/event-stream"
    events = (chunk.decode() for chunk in answer.streaming_content)  # type: ignore[attr-defined]
    assert next(events) == "retry: 1000\n\n"
    first = next(events)
    assert first.startswith("event: board\ndata: ")
    assert "Fay Board" in first
    assert "In the waiting room (0)" in first
    # when she arrives, the next event has her in the waiting room
    check_visit_step(visit, step="arrive", acting_user=None)
    second = next(events)
    assert "In the waiting room (1)" in second
    # (not answer.close(): outside the test client's own wrapper it would close the database
    # connection the test still uses; the stream ends when it is dropped)
    # one audited read for the stream, however many times it sends the board
    assert AuditEvent.objects.filter(action="appointment.list").count() == 1
