"""Writes of relationship health: an override needs a comment and a manager, and is audited;
whether an at-risk patient's next step was taken is written with what was suggested."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from carebond.accounts.models import User
from carebond.analytics.health import Dimension
from carebond.analytics.health_actions import check_override_health, check_record_at_risk_action
from carebond.analytics.health_models import AtRiskAction, HealthOverride
from carebond.analytics.health_selectors import get_patient_health
from carebond.analytics.tests.history import TODAY, drifting_patient, regular_patient
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, PermissionDenied
from carebond.core.permissions import Role
from carebond.people.actions import check_record_consent
from carebond.scheduling.tests.conftest import CHICAGO, Clinic


def test_an_override_without_a_comment_is_refused_and_nothing_is_written(
    clinic: Clinic, manager_a: User
) -> None:
    patient = regular_patient(clinic, "Rosa")
    # when a manager overrides without saying why
    with pytest.raises(InvalidInput) as refused:
        check_override_health(
            patient, part="overall", score=20, comment="  ", expires_on=None, acting_user=manager_a
        )
    # then the comment is named, and nothing is stored or audited
    assert (refused.value.field, refused.value.message) == (
        "comment",
        "Say why: an override needs a comment that explains it.",
    )
    assert not HealthOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="health.overridden").exists()


def test_an_override_with_a_comment_replaces_the_score_and_is_audited(
    clinic: Clinic, manager_a: User, users_a: dict[str, User]
) -> None:
    patient = regular_patient(clinic, "Rosa")
    # when a manager sets connection to 10 because the patient is moving, for a month
    check_override_health(
        patient,
        part="connection",
        score=10,
        comment="Moving to Denver in April",
        expires_on=TODAY + timedelta(days=30),
        acting_user=manager_a,
    )
    # then the page shows the override beside the computed score
    found = get_patient_health(user=manager_a, public_id=patient.public_id).health
    connection = found.dimension(found.dimensions[0].dimension)
    assert (connection.computed, connection.score) == (99.4, 10.0)
    assert connection.override is not None
    assert connection.override.comment == "Moving to Denver in April"
    # and the write is audited, without the comment's words
    event = AuditEvent.objects.get(action="health.overridden")
    assert (event.actor, event.patient_id) == (manager_a, str(patient.public_id))
    assert "Denver" not in str(event.changed_fields)
    # and the front desk, who reads health, may not override it
    with pytest.raises(PermissionDenied):
        check_override_health(
            patient,
            part="overall",
            score=50,
            comment="Seems fine",
            expires_on=None,
            acting_user=users_a[Role.FRONT_DESK],
        )


def test_bad_override_values_are_named(clinic: Clinic, manager_a: User) -> None:
    # a score outside 0-100, an unknown part and an end day already past are each refused,
    # by field
    for changed, field in (
        ({"score": 101}, "score"),
        ({"score": None}, "score"),
        ({"part": "mood"}, "part"),
        ({"expires_on": TODAY}, "expires_on"),
    ):
        arguments: dict[str, Any] = {"part": "overall", "score": 50, "expires_on": None}
        arguments.update(changed)
        with pytest.raises(InvalidInput) as refused:
            check_override_health(
                clinic.patient, comment="Known to us", acting_user=manager_a, **arguments
            )
        assert refused.value.field == field
    assert not HealthOverride.objects.exists()


def test_a_step_taken_or_not_is_written_with_what_was_suggested_and_audited(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given a patient drifting away
    patient = drifting_patient(clinic, "Omar")
    desk = users_a[Role.FRONT_DESK]
    # when the front desk marks the suggested call as taken, then another day as not taken
    taken = check_record_at_risk_action(
        patient, taken=True, note="Left a voicemail", acting_user=desk
    )
    skipped = check_record_at_risk_action(patient, taken=False, acting_user=desk)
    # then both are kept with the suggestion, band and reasons as they stood
    assert (taken.suggested, taken.band, taken.taken, taken.note) == (
        "call",
        "at_risk",
        True,
        "Left a voicemail",
    )
    assert taken.reason.startswith("Communication: messages that reached them no phone")
    assert (skipped.taken, skipped.decided_by) == (False, desk)
    assert AtRiskAction.objects.count() == 2
    assert AuditEvent.objects.filter(action="health.at_risk_action").count() == 2
    # and the analyst may not record outreach
    with pytest.raises(PermissionDenied):
        check_record_at_risk_action(patient, taken=True, acting_user=users_a[Role.ANALYST])


def test_an_evening_override_and_consent_count_the_same_local_day(
    clinic: Clinic, manager_a: User
) -> None:
    # given 23:30 in Chicago, already tomorrow in UTC
    patient = regular_patient(clinic, "Rosa", phone="+13125550188")
    with time_machine.travel(datetime(2026, 3, 2, 23, 30, tzinfo=CHICAGO), tick=False):
        # when consent is recorded and an override made
        check_record_consent(
            patient,
            channel="sms",
            purpose="appointment",
            status="granted",
            method="verbal",
            acting_user=None,
        )
        check_override_health(
            patient,
            part="overall",
            score=20,
            comment="Said on the phone they are moving",
            expires_on=None,
            acting_user=manager_a,
        )
        found = get_patient_health(user=manager_a, public_id=patient.public_id).health
    # then both count today, not tomorrow
    assert found.score == 20.0
    consent = found.dimension(Dimension.COMMUNICATION).inputs[2]
    assert (consent.shown, consent.score) == ("granted", 100.0)
