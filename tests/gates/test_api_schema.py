"""The API gate: every operation of /api/v1, fuzzed from its own OpenAPI description.

schemathesis reads /api/v1/openapi.json from the app and generates requests for each operation,
valid ones (which must be answered as documented) and invalid ones (which must be refused with a
documented 4xx), for every role, through the WSGI app in this process. Organisation A holds a
patient with a timeline, a staff member, a location, a department and a value-map study;
organisation B holds the same kinds of rows, so that ids in paths are real rows of the caller,
real rows of another tenant, or nothing at all.

Each answer must pass: no 5xx; a status the operation documents; the documented content type,
headers and body schema; invalid input refused. Bounded: about two minutes on two cores
(CAREBOND_GATE_EXAMPLES raises the number of examples for a deeper run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, note, settings
from ninja.operation import Operation
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from carebond.accounts.actions import (
    do_create_api_token,
    do_create_department,
    do_create_location,
)
from carebond.billing.actions import StatementInput, check_record_statement
from carebond.core import clock
from carebond.core.models import Organization
from carebond.core.permissions import AccessPolicy, Role
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.messaging.inbound_actions import do_receive_text
from carebond.people.tests.factories import make_patient, make_staff
from carebond.surveys.distribution_actions import check_invite, month_wave, send_invitation
from carebond.surveys.feedback_actions import check_create_action
from carebond.surveys.instrument_actions import ensure_built_in_instruments
from carebond.surveys.models import Instrument, RecoveryCase, Response
from carebond.surveys.response_actions import check_save_section
from carebond.testing.fixtures import make_organization, make_user
from carebond.touchpoints.actions import record_touchpoint
from carebond.value_maps.tests.stored import worked_example
from config.api import api

pytestmark = [pytest.mark.gate, pytest.mark.django_db]

SCHEMA_PATH = "/api/v1/openapi.json"
PREFIX = "/api/v1"
EXAMPLES = int(os.environ.get("CAREBOND_GATE_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


def _ninja_operations() -> dict[str, Operation]:
    """Every operation the API serves, by its label ("GET /api/v1/people/{person_id}")."""
    found: dict[str, Operation] = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    route = (PREFIX + prefix + path).rstrip("/") or "/"
                    found[f"{method} {route}"] = operation
    return found


OPERATIONS = _ninja_operations()


def _policy(operation: Operation) -> AccessPolicy:
    policy = getattr(operation.auth_callbacks[0], "policy", None)
    assert isinstance(policy, AccessPolicy)
    return policy


@dataclass
class World:
    """What the requests can name: real ids of the caller's organisation and of another one."""

    secrets: dict[str, str] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    turn: int = 0

    def add(self, name: str, *ids: uuid.UUID) -> None:
        self.ids.setdefault(name, []).extend(str(i) for i in ids)

    def pick(self, name: str) -> str:
        """In turn: a row of the caller's organisation, of the other one, or no row at all."""
        self.turn += 1
        choices = [*self.ids[name], str(uuid.UUID(int=self.turn))]
        return choices[self.turn % len(choices)]


def _populate(organization: Organization, world: World, *, own: bool) -> None:
    users = {role: make_user(organization, role) for role in Role.values}
    patient = make_patient(organization, phone="2175550134", email="maria@example.org", mrn="G-1")
    staff = make_staff(organization)
    record_touchpoint(patient, kind="visit", channel="in_person", direction="inbound", staff=staff)
    record_touchpoint(patient, kind="call", channel="phone", direction="outbound")
    location = do_create_location(organization, name="Main", acting_user=None)
    do_create_department(organization, name="Cardiology", location=location, acting_user=None)
    study = worked_example(organization, users[Role.MANAGER], person=patient)
    for role, user in users.items():
        # The token each role calls with, and a spare one it may revoke (never the one in use).
        _, secret = do_create_api_token(user, name="gate", acting_user=None)
        spare, _ = do_create_api_token(user, name="spare", acting_user=None)
        if own:
            world.secrets[role] = secret
        world.add("token_id", spare.public_id)
    world.add("person_id", patient.public_id, staff.public_id)
    world.add("staff", staff.public_id)
    world.add("study_id", study.public_id)
    world.add("location_id", location.public_id)
    statement = check_record_statement(
        patient,
        StatementInput(
            external_id="S-1",
            statement_date=date(2026, 2, 10),
            amount_billed=Decimal("240.00"),
            amount_due=Decimal("40.00"),
            status="open",
            source="csv",
        ),
        acting_user=None,
    )
    world.add("statement_id", statement.public_id)
    world.add("patient", patient.public_id)
    sender = check_add_sender(
        organization,
        channel="sms",
        address="+12175550100" if own else "+12175550101",
        label="Clinic line",
        purposes=["appointment", "care", "reply"],
    )
    text = do_receive_text(
        sender, from_number="+12175550134", body="Hello", provider_id=f"SM{organization.slug}"
    )
    assert text.conversation is not None
    world.add("conversation_id", text.conversation.public_id)
    action = check_create_action(
        organization,
        theme="wait_time",
        location=location,
        owner=users[Role.MANAGER],
        due_on=date(2026, 4, 1),
        texts={},
        acting_user=users[Role.MANAGER],
    )
    world.add("action_id", action.public_id)
    _surveys(organization, world, patient)


def _surveys(organization: Organization, world: World, patient: Any) -> None:
    """The built-in surveys, a patient's answered post-visit survey and the recovery case its
    low score opened."""
    ensure_built_in_templates(organization)
    ensure_built_in_instruments(organization)
    instrument = Instrument.objects.get(organization=organization, key="post-visit")
    invitation = check_invite(
        patient,
        wave=month_wave(instrument, None, clock.now().date()),
        subject_key="visit:gate",
        acting_user=None,
    )
    send_invitation(invitation.id)
    invitation.refresh_from_db()
    check_save_section(
        invitation.link_token,
        section_key="overall",
        raw={"recommend": "2"},
        language="en",
        send=True,
    )
    response = Response.objects.get(invitation=invitation)
    world.add("instrument_id", instrument.public_id)
    world.add("response_id", response.public_id)
    world.add(
        "case_id",
        *RecoveryCase.objects.filter(response=response).values_list("public_id", flat=True),
    )


@pytest.fixture
def world(db: Any) -> World:
    world = World()
    _populate(make_organization("gate-a", "Alder Family Practice"), world, own=True)
    _populate(make_organization("gate-b", "Birchwood Clinic", "America/New_York"), world, own=False)
    return world


@contextmanager
def _keep_the_test_connection() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's open transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


with _keep_the_test_connection():
    # Read from the app as a client would (no database is touched to serve the description).
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, WSGIHandler())


def _with_real_ids(case: Case[Any], world: World) -> None:
    for values in (case.path_parameters, case.query):
        for name in [name for name in values or {} if name in world.ids]:
            values[name] = world.pick(name)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
def test_operation_answers_as_documented(case: Case[Any], world: World) -> None:
    policy = _policy(OPERATIONS[case.operation.label])
    allowed = [role for role in Role.values if policy.allows(role)]
    forbidden = [role for role in Role.values if not policy.allows(role)]
    negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
    if not negative:  # (invalid input keeps its invalid ids)
        _with_real_ids(case, world)
    # Each case is sent as one of the roles allowed, in turn, and every fourth as a refused one.
    world.turn += 1
    callers = [allowed[world.turn % len(allowed)]]
    if forbidden and world.turn % 4 == 0:
        callers.append(forbidden[world.turn % len(forbidden)])
    with _keep_the_test_connection():
        for role in callers:
            note(f"called as {role} ({'invalid' if negative else 'valid'} input)")
            case.call_and_validate(
                headers={"Authorization": f"Bearer {world.secrets[role]}"},
                checks=NEGATIVE_CHECKS if negative else CHECKS,
            )
