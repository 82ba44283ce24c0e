"""Training an organisation's no-show model on its own history (and refusing a short one),
offering help to a visit at risk and recording the answer (audited, on the timeline, once
each), the outsider kept out, and the rule that risk never refuses a booking or overbooks."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, NotFound, RuleViolation
from carebond.core.permissions import Role
from carebond.scheduling.access import access_appointment, access_help_offer
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    HelpKind,
    HelpOffer,
    HelpOutcome,
    NoShowModel,
)
from carebond.scheduling.noshow import confirmed_visits
from carebond.scheduling.noshow_actions import (
    check_offer_help,
    check_record_help_outcome,
    check_train_noshow_model,
)
from carebond.scheduling.noshow_selectors import list_visits_at_risk
from carebond.scheduling.tests.conftest import MONDAY_MORNING, Clinic, at
from carebond.scheduling.tests.noshow_history import make_history
from carebond.touchpoints.models import Touchpoint


def trained(clinic: Clinic) -> NoShowModel:
    make_history(
        provider=clinic.doctor, location=clinic.location, appointment_type=clinic.follow_up
    )
    return check_train_noshow_model(clinic.organization, acting_user=None)


def booked(clinic: Clinic, hour: int = 10) -> Appointment:
    return check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY_MORNING.date() + timedelta(days=1), hour),
        acting_user=None,
    )


def test_the_model_is_trained_on_the_organisations_own_history(clinic: Clinic) -> None:
    # given about seventy days of visits with a pattern
    history = make_history(
        provider=clinic.doctor, location=clinic.location, appointment_type=clinic.follow_up
    )

    # when it is trained
    model = check_train_noshow_model(clinic.organization, acting_user=None)

    # then one row holds its numbers, tested on the later quarter of the history
    assert model.organization == clinic.organization
    assert model.trained_on + model.tested_on == history.visits
    assert model.history_from < model.tested_from < model.history_until < MONDAY_MORNING
    assert model.auc > 0.6
    assert len(model.coefficients) == len(model.feature_names) == len(model.means)
    assert model.base_rate == pytest.approx(history.missed / history.visits)
    event = AuditEvent.objects.get(action="noshow_model.trained")
    assert event.target_id == str(model.pk)

    # and training again replaces it
    check_train_noshow_model(clinic.organization, acting_user=None)
    assert NoShowModel.objects.filter(organization=clinic.organization).count() == 1


def test_a_short_history_is_refused_saying_how_much_is_needed(clinic: Clinic) -> None:
    make_history(
        provider=clinic.doctor, location=clinic.location, appointment_type=clinic.follow_up, days=20
    )
    with pytest.raises(RuleViolation, match="at least 200 past visits") as refused:
        check_train_noshow_model(clinic.organization, acting_user=None)
    assert "this history has 112" in refused.value.message
    assert not NoShowModel.objects.exists()


def test_the_command_prints_the_held_out_auc(clinic: Clinic) -> None:
    make_history(
        provider=clinic.doctor, location=clinic.location, appointment_type=clinic.follow_up
    )
    out = StringIO()
    call_command("train_noshow", "--organization", clinic.organization.slug, stdout=out)
    model = NoShowModel.objects.get(organization=clinic.organization)
    assert f"AUC on the held-out period: {model.auc:.3f}" in out.getvalue()
    assert f"tested on {model.tested_on} later visits" in out.getvalue()


def test_the_command_says_why_it_refuses(clinic: Clinic) -> None:
    with pytest.raises(CommandError, match="Training needs at least 200"):
        call_command("train_noshow", "--organization", clinic.organization.slug)


def test_help_is_offered_once_per_kind_audited_and_on_the_timeline(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given a model and a visit booked for tomorrow
    trained(clinic)
    visit = booked(clinic)
    desk = users_a[Role.FRONT_DESK]

    # when the desk offers transport
    offer = check_offer_help(visit, kind=HelpKind.TRANSPORT, acting_user=desk)

    # then it is kept with the risk it was offered at, audited and on the timeline
    assert (offer.kind, offer.outcome, offer.offered_by) == (HelpKind.TRANSPORT, "", desk)
    assert offer.risk is not None
    assert 0 < offer.risk < 1
    event = AuditEvent.objects.get(action="appointment.help_offered")
    assert event.patient_id == str(clinic.patient.public_id)
    summaries = [t.summary for t in Touchpoint.objects.filter(person=clinic.patient)]
    assert any(summary.startswith("Offered transport (Follow-up") for summary in summaries)

    # and the same help twice is refused, nothing written
    with pytest.raises(RuleViolation, match="already offered"):
        check_offer_help(visit, kind=HelpKind.TRANSPORT, acting_user=desk)
    assert HelpOffer.objects.count() == 1


def test_an_accepted_confirmation_call_confirms_the_visit(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    visit = booked(clinic)
    desk = users_a[Role.FRONT_DESK]
    call = check_offer_help(visit, kind=HelpKind.CALL, acting_user=desk)
    assert call.risk is None  # no model yet: the offer is still kept
    assert confirmed_visits([visit.pk]) == set()

    check_record_help_outcome(call, outcome=HelpOutcome.ACCEPTED, acting_user=desk)

    call.refresh_from_db()
    assert (call.outcome, call.outcome_by) == (HelpOutcome.ACCEPTED, desk)
    assert call.outcome_at is not None
    assert confirmed_visits([visit.pk]) == {visit.pk}
    assert AuditEvent.objects.filter(action="appointment.help_outcome").count() == 1
    # an answer is recorded once
    with pytest.raises(RuleViolation, match="already recorded"):
        check_record_help_outcome(call, outcome=HelpOutcome.DECLINED, acting_user=desk)


def test_bad_offers_are_refused_with_the_reason(clinic: Clinic, users_a: dict[str, User]) -> None:
    desk = users_a[Role.FRONT_DESK]
    visit = booked(clinic)
    with pytest.raises(InvalidInput, match="Choose the help offered") as bad:
        check_offer_help(visit, kind="taxi-voucher", acting_user=desk)
    assert bad.value.field == "kind"
    offer = check_offer_help(visit, kind=HelpKind.CALL, acting_user=desk)
    with pytest.raises(InvalidInput, match="accepted, declined or no answer"):
        check_record_help_outcome(offer, outcome="maybe", acting_user=desk)
    # a visit that has happened gets no offer
    visit.status = AppointmentStatus.FULFILLED
    with pytest.raises(RuleViolation, match="still to come"):
        check_offer_help(visit, kind=HelpKind.TRANSPORT, acting_user=desk)
    assert HelpOffer.objects.count() == 1


def test_the_outsider_finds_neither_the_visit_nor_the_offer(
    clinic: Clinic, users_a: dict[str, User], outsider_b: User
) -> None:
    offer = check_offer_help(booked(clinic), kind=HelpKind.CALL, acting_user=users_a[Role.MANAGER])
    with pytest.raises(NotFound) as foreign:
        access_help_offer(outsider_b, offer.public_id)
    with pytest.raises(NotFound) as missing:
        access_help_offer(outsider_b, "00000000-0000-4000-8000-000000000000")
    assert foreign.value.message == missing.value.message
    # the analyst (figures only) offers no help either
    with pytest.raises(NotFound):
        access_help_offer(users_a[Role.ANALYST], offer.public_id)
    with pytest.raises(NotFound):
        access_appointment(outsider_b, offer.appointment.public_id)


def test_risk_never_refuses_a_booking_nor_overbooks(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given a model that scores every visit as almost certainly missed
    model = trained(clinic)
    model.intercept, model.threshold = 20.0, 0.5
    model.save()
    before = Appointment.objects.count()

    # when a patient is booked, and the desk reads the visits at risk
    visit = booked(clinic)
    found = list_visits_at_risk(user=users_a[Role.FRONT_DESK])

    # then the booking went through as any other, nothing was overbooked or added, and the
    # visit is on the list for help
    assert visit.status == AppointmentStatus.BOOKED
    assert not visit.overbooked
    assert Appointment.objects.count() == before + 1
    assert not Appointment.objects.filter(overbooked=True).exists()
    assert [row.appointment for row in found.visits] == [visit]
    assert found.visits[0].risk.risk > 0.99
