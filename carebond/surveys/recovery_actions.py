"""Service recovery: an unhappy person is contacted within the target (24 hours by default,
4 for a safety concern), escalated when the target is missed, and asked afterwards whether it
was put right. Every step is audited and is a touchpoint on the person's timeline.

A written complaint that asks for resolution can be marked a grievance: the hospital rule
(42 CFR 482.13(a)(2)) wants a written response naming the contact person, the steps taken, the
result and the date; the organisation's own timeframe (7 days by default) sets the due date.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from carebond.accounts.models import User
from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.people.models import Person, PersonKind
from carebond.surveys.definitions import items
from carebond.surveys.instrument_actions import survey_settings
from carebond.surveys.models import (
    Comment,
    InstrumentKind,
    Invitation,
    RecoveryCase,
    RecoveryOutcome,
    RecoverySource,
    RecoveryStatus,
    RecoveryStep,
    Response,
    SentimentLabel,
)
from carebond.touchpoints.actions import record_touchpoint

CONTACT_CHANNELS = ("phone", "sms", "email", "in_person", "post")


def manager_for(organization_id: int, location: Location | None) -> User | None:
    """The location's manager (a manager whose staff record is at that location), else the
    organisation's first manager, else its first administrator."""
    managers = User.objects.filter(
        organization_id=organization_id, role=Role.MANAGER, is_active=True, disabled_at=None
    ).order_by("id")
    if location is not None:
        here = managers.filter(staff_profile__location=location).first()
        if here is not None:
            return here
    return (
        managers.first()
        or User.objects.filter(organization_id=organization_id, role=Role.ADMIN, is_active=True)
        .order_by("id")
        .first()
    )


def escalation_contact(organization_id: int, owner: User | None) -> User | None:
    """Whom a missed target goes to: an administrator, else another manager."""
    users = User.objects.filter(organization_id=organization_id, is_active=True, disabled_at=None)
    if owner is not None:
        users = users.exclude(pk=owner.pk)
    return (
        users.filter(role=Role.ADMIN).order_by("id").first()
        or users.filter(role=Role.MANAGER).order_by("id").first()
    )


def _touchpoint(
    case: RecoveryCase, summary: str, *, channel: str = "system", by: User | None
) -> None:
    record_touchpoint(
        case.person,
        kind="service_recovery",
        channel=channel if channel in ("phone", "sms", "email", "in_person", "post") else "system",
        direction="outbound" if channel != "system" else "inbound",
        occurred_at=clock.now(),
        location=case.location,
        moment_of_truth="follow_up",
        summary=summary,
        source=case,
        recorded_by=by,
    )


def _step(
    case: RecoveryCase, kind: str, *, by: User | None, note: str = "", channel: str = ""
) -> None:
    RecoveryStep.objects.create(
        organization_id=case.organization_id,
        case=case,
        at=clock.now(),
        kind=kind,
        channel=channel,
        note=note,
        by=by,
    )


def do_open_case(
    person: Person,
    *,
    source: str,
    location: Location | None,
    summary: str = "",
    response: Response | None = None,
    comment: Comment | None = None,
    acting_user: User | None,
) -> RecoveryCase:
    """Open a case for the location's manager, due within the target. Audit:
    recovery.opened."""
    rules = survey_settings(person.organization_id)
    hours = (
        settings.SURVEYS_SAFETY_HOURS if source == RecoverySource.SAFETY else rules.recovery_hours
    )
    now = clock.now()
    case = RecoveryCase.objects.create(
        organization_id=person.organization_id,
        person=person,
        source=source,
        response=response,
        comment=comment,
        summary=summary,
        location=location,
        owner=manager_for(person.organization_id, location),
        status=RecoveryStatus.OPEN,
        opened_at=now,
        due_at=now + timedelta(hours=hours),
    )
    _step(case, "opened", by=acting_user, note="")
    record_audit(actor=acting_user, action="recovery.opened", target=case, patient=person)
    _touchpoint(case, f"Service recovery opened: {case.get_source_display()}", by=acting_user)
    return case


def _detractor(response: Response) -> bool:
    return any(
        item.get("measure") == "nps"
        and isinstance(response.answers.get(item["link_id"]), int)
        and response.answers[item["link_id"]] <= 6
        for item in items(response.version.definition)
    )


def open_cases_for_response(response: Response) -> RecoveryCase | None:
    """A sent response opens one case when it carries a safety concern, a detractor score
    (0-6) or a negative comment. A follow-up survey's answer goes on its own case instead."""
    if response.version.instrument.kind == InstrumentKind.RECOVERY_FOLLOW_UP:
        return None
    comments = list(Comment.objects.filter(response=response).order_by("id"))
    flagged = next((c for c in comments if c.flags), None)
    negative = next((c for c in comments if c.label == SentimentLabel.NEGATIVE), None)
    comment: Comment | None
    if flagged is not None:
        source, comment = RecoverySource.SAFETY, flagged
    elif _detractor(response):
        source, comment = RecoverySource.DETRACTOR, negative
    elif negative is not None:
        source, comment = RecoverySource.NEGATIVE_COMMENT, negative
    else:
        return None
    try:
        with transaction.atomic():
            return do_open_case(
                response.person,
                source=source,
                location=response.location,
                summary=comment.text if comment else "",
                response=response,
                comment=comment,
                acting_user=None,
            )
    except IntegrityError:
        return None  # already open for this response


def open_contact_request(invitation: Invitation, text: str) -> RecoveryCase:
    """An anonymous respondent asked to be contacted: a case with their name and their words,
    by their choice; the case points at no response."""
    return do_open_case(
        invitation.person,
        source=RecoverySource.CONTACT_REQUEST,
        location=invitation.location,
        summary=text,
        acting_user=None,
    )


def _clean_note(note: str, *, required: bool = False, limit: int = 2000) -> str:
    note = note.strip()
    if required and not note:
        raise InvalidInput("Write what happened.", field="note")
    if len(note) > limit:
        raise InvalidInput(f"Keep it under {limit + 1} characters.", field="note")
    return note


@transaction.atomic
def check_log_complaint(
    person: Person,
    *,
    text: str,
    location: Location | None,
    written: bool = False,
    acting_user: User,
) -> RecoveryCase:
    """A complaint staff heard or received. Audit: recovery.opened."""
    if person.organization_id != acting_user.organization_id or person.kind != PersonKind.PATIENT:
        raise InvalidInput("Choose a patient of this organisation.", field="person")
    if location is not None and location.organization_id != person.organization_id:
        raise InvalidInput("Choose a location of this organisation.", field="location")
    case = do_open_case(
        person,
        source=RecoverySource.COMPLAINT,
        location=location,
        summary=_clean_note(text, required=True),
        acting_user=acting_user,
    )
    if written:
        _grievance(case, received_on=clock.now().date(), contact="", acting_user=acting_user)
    return case


def _lock(case: RecoveryCase) -> RecoveryCase:
    return (
        RecoveryCase.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=case.pk)
    )


def _open(case: RecoveryCase) -> None:
    if case.status == RecoveryStatus.CLOSED:
        raise RuleViolation("This case is closed.")


@transaction.atomic
def check_record_contact(
    case: RecoveryCase, *, channel: str, note: str, acting_user: User
) -> RecoveryCase:
    """A call, text, email or meeting with the person. The first one meets (or misses) the
    target. Audit: recovery.contacted."""
    case = _lock(case)
    _open(case)
    if channel not in CONTACT_CHANNELS:
        raise InvalidInput("Choose how you reached them.", field="channel")
    note = _clean_note(note, required=True)
    now = clock.now()
    if case.first_contact_at is None:
        case.first_contact_at = now
    case.status = RecoveryStatus.CONTACTED
    case.save(update_fields=["first_contact_at", "status"])
    _step(case, "contact", by=acting_user, note=note, channel=channel)
    record_audit(actor=acting_user, action="recovery.contacted", target=case, patient=case.person)
    _touchpoint(case, "Service recovery: contacted", channel=channel, by=acting_user)
    return case


@transaction.atomic
def check_add_note(case: RecoveryCase, *, note: str, acting_user: User) -> RecoveryCase:
    """Audit: recovery.noted."""
    case = _lock(case)
    _step(case, "note", by=acting_user, note=_clean_note(note, required=True))
    record_audit(actor=acting_user, action="recovery.noted", target=case, patient=case.person)
    return case


@transaction.atomic
def check_reassign_case(case: RecoveryCase, *, owner: User, acting_user: User) -> RecoveryCase:
    """Audit: recovery.reassigned."""
    case = _lock(case)
    _open(case)
    if owner.organization_id != case.organization_id or owner.role not in (
        Role.MANAGER,
        Role.ADMIN,
    ):
        raise InvalidInput("Choose a manager or administrator of this organisation.", field="owner")
    case.owner = owner
    case.save(update_fields=["owner"])
    _step(case, "reassigned", by=acting_user, note=owner.get_full_name() or owner.username)
    record_audit(actor=acting_user, action="recovery.reassigned", target=case, patient=case.person)
    return case


def escalate_overdue_cases() -> int:
    """The worker's scan: open cases whose first contact is overdue go to the escalation
    contact, once. Audit: recovery.escalated."""
    escalated = 0
    now = clock.now()
    overdue = RecoveryCase.objects.filter(
        status=RecoveryStatus.OPEN,
        first_contact_at__isnull=True,
        escalated_at__isnull=True,
        due_at__lte=now,
    )
    for case_id in overdue.values_list("id", flat=True):
        with transaction.atomic():
            case = (
                RecoveryCase.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=case_id, escalated_at__isnull=True, first_contact_at__isnull=True)
                .select_related("person", "owner")
                .first()
            )
            if case is None:
                continue
            case.escalated_at = now
            case.escalated_to = escalation_contact(case.organization_id, case.owner)
            case.save(update_fields=["escalated_at", "escalated_to"])
            _step(case, "escalated", by=None, note="First contact missed its target.")
            record_audit(actor=None, action="recovery.escalated", target=case, patient=case.person)
            _touchpoint(case, "Service recovery escalated: first contact overdue", by=None)
            escalated += 1
    return escalated


@transaction.atomic
def check_close_case(
    case: RecoveryCase,
    *,
    outcome: str,
    note: str,
    send_follow_up: bool,
    acting_user: User,
) -> RecoveryCase:
    """Close with an outcome, and ask the person whether it was put right (the follow-up
    micro-survey, through the survey rules and consent). A grievance closes only with its
    written response. Audit: recovery.closed."""
    case = _lock(case)
    _open(case)
    if outcome not in RecoveryOutcome.values:
        raise InvalidInput("Choose the outcome.", field="outcome")
    if case.is_grievance and not case.written_response_on:
        raise RuleViolation("A grievance closes with its written response: record it first.")
    case.status = RecoveryStatus.CLOSED
    case.outcome = outcome
    case.closed_at = clock.now()
    if send_follow_up and outcome != RecoveryOutcome.DECLINED:
        case.follow_up = _follow_up(case)
    case.save(update_fields=["status", "outcome", "closed_at", "follow_up"])
    _step(case, "closed", by=acting_user, note=_clean_note(note))
    record_audit(actor=acting_user, action="recovery.closed", target=case, patient=case.person)
    _touchpoint(case, f"Service recovery closed: {case.get_outcome_display()}", by=acting_user)
    return case


def _follow_up(case: RecoveryCase) -> Invitation | None:
    from carebond.surveys.distribution_actions import check_invite, month_wave
    from carebond.surveys.models import Instrument

    instrument = Instrument.objects.filter(
        organization_id=case.organization_id, kind=InstrumentKind.RECOVERY_FOLLOW_UP
    ).first()
    if instrument is None:
        return None
    try:
        return check_invite(
            case.person,
            wave=month_wave(instrument, None, clock.now().date()),
            subject_key=f"recovery:{case.public_id}",
            send_after=clock.now() + timedelta(days=2),
            location=case.location,
            acting_user=None,
        )
    except RuleViolation:
        return None


def _grievance(case: RecoveryCase, *, received_on: date, contact: str, acting_user: User) -> None:
    case.is_grievance = True
    case.grievance_received_on = received_on
    case.grievance_due_on = received_on + timedelta(days=settings.SURVEYS_GRIEVANCE_DAYS)
    case.grievance_contact = contact[:200]
    case.save(
        update_fields=[
            "is_grievance",
            "grievance_received_on",
            "grievance_due_on",
            "grievance_contact",
        ]
    )
    _step(case, "grievance", by=acting_user, note=f"Received {received_on:%Y-%m-%d}")
    record_audit(actor=acting_user, action="recovery.grievance", target=case, patient=case.person)


@transaction.atomic
def check_mark_grievance(
    case: RecoveryCase, *, received_on: date, contact: str, acting_user: User
) -> RecoveryCase:
    """A written (or asked-for) complaint seeking resolution. Audit: recovery.grievance."""
    case = _lock(case)
    _open(case)
    if received_on > clock.now().date():
        raise InvalidInput("The day received cannot be in the future.", field="received_on")
    if received_on < case.opened_at.date() - timedelta(days=365):
        raise InvalidInput(
            "The day received is more than a year before the case.", field="received_on"
        )
    _grievance(case, received_on=received_on, contact=contact.strip(), acting_user=acting_user)
    return case


@transaction.atomic
def check_record_written_response(
    case: RecoveryCase, *, text: str, sent_on: date, contact: str, acting_user: User
) -> RecoveryCase:
    """The grievance's written response: what was done, the result, the contact, the date.
    Audit: recovery.responded."""
    case = _lock(case)
    _open(case)
    if not case.is_grievance:
        raise RuleViolation("Only a grievance has a written response: mark it a grievance first.")
    text = _clean_note(text, required=True, limit=8000)
    contact = contact.strip()
    if not contact:
        raise InvalidInput("Name the contact person the response gives.", field="contact")
    if case.grievance_received_on and sent_on < case.grievance_received_on:
        raise InvalidInput("The response cannot predate the grievance.", field="sent_on")
    if sent_on > clock.now().date():
        raise InvalidInput("The day sent cannot be in the future.", field="sent_on")
    case.written_response = text
    case.written_response_on = sent_on
    case.grievance_contact = contact[:200]
    case.save(update_fields=["written_response", "written_response_on", "grievance_contact"])
    _step(case, "written_response", by=acting_user, note=f"Sent {sent_on:%Y-%m-%d}")
    record_audit(actor=acting_user, action="recovery.responded", target=case, patient=case.person)
    _touchpoint(case, "Grievance: written response sent", channel="post", by=acting_user)
    return case
