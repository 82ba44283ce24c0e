"""Asking people: invitations, their links, the sending through messaging, reminders, and the
rules' scan that turns visits, statements, pulses and quarters into waves of invitations.

Every invitation goes through messaging with the survey purpose (or staff / referral partners
for work contacts): consent in force, quiet hours, opt-outs. A survey never uses the healthcare
exemption. The organisation's frequency rule (at most one invitation per person per N days,
across all surveys and channels, some kinds excepted) is checked before an invitation is made.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import RuleViolation
from carebond.core.models import Department, Location
from carebond.messaging.actions import check_queue_message
from carebond.people.models import ContactSystem, Person, PersonKind, PersonStatus, StaffProfile
from carebond.people.selectors import consent_in_force, contact_address
from carebond.surveys.instrument_actions import current_version, survey_settings
from carebond.surveys.models import (
    DistributionRule,
    Instrument,
    InstrumentKind,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    Trigger,
    Wave,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

# The message purpose and template each kind of instrument is sent with.
PURPOSE: dict[str, tuple[str, str]] = {
    InstrumentKind.STAFF_PULSE: ("staff", "staff_pulse_invitation"),
    InstrumentKind.REFERRAL_SOURCE: ("referral", "referral_survey_invitation"),
}
DEFAULT_PURPOSE = ("survey", "survey_invitation")
REMINDER_TEMPLATE = "survey_reminder"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token: str) -> str:
    return settings.BASE_URL.rstrip("/") + reverse("survey:answer", kwargs={"token": token})


def purpose_of(instrument: Instrument) -> tuple[str, str]:
    return PURPOSE.get(instrument.kind, DEFAULT_PURPOSE)


def pick_channel(person: Person, *, purpose: str) -> str:
    """A text when the person has a number and has agreed to be asked by text; else email when
    they agreed to that; else whichever they can be reached on (messaging will then refuse it
    for lack of consent and say so on the invitation)."""
    consent_purpose = "work" if purpose in ("staff", "referral") else "survey"
    if purpose == "referral":
        return "email"  # referral partners are written to (their templates are emails)
    phone = contact_address(person, system=ContactSystem.PHONE)
    email = contact_address(person, system=ContactSystem.EMAIL)
    for channel, address in (("sms", phone), ("email", email)):
        record = address and consent_in_force(person.id, channel=channel, purpose=consent_purpose)
        if record and record.status == "granted":
            return channel
    return "sms" if phone else "email"


# --- waves ------------------------------------------------------------------------------------


def month_wave(instrument: Instrument, rule: DistributionRule | None, day: date) -> Wave:
    """The month's wave of a continuous trigger (visits, statements): response rates by month."""
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return _wave(instrument, rule, start, end, f"{instrument.name}, {start:%B %Y}")


def _wave(
    instrument: Instrument,
    rule: DistributionRule | None,
    start: date,
    end: date,
    label: str,
    department: Department | None = None,
) -> Wave:
    wave, _ = Wave.objects.get_or_create(
        organization_id=instrument.organization_id,
        instrument=instrument,
        rule=rule,
        starts_on=start,
        defaults={"ends_on": end, "label": label, "department": department},
    )
    return wave


# --- invitations ------------------------------------------------------------------------------


def last_invited(person: Person, *, within_days: int, exempt: list[str]) -> Invitation | None:
    since = clock.now() - timedelta(days=within_days)
    return (
        Invitation.objects.filter(
            person=person,
            created_at__gte=since,
            status__in=[InvitationStatus.QUEUED, InvitationStatus.SENT],
        )
        .exclude(wave__instrument__kind__in=exempt)
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def check_invite(
    person: Person,
    *,
    wave: Wave,
    subject_key: str,
    send_after: datetime | None = None,
    location: Location | None = None,
    provider: Person | None = None,
    department: Department | None = None,
    acting_user: User | None,
) -> Invitation:
    """One invitation, sent by the scan once ``send_after`` has passed. Refused (RuleViolation)
    when the person was asked within the organisation's gap, was already asked about this
    subject, or is not a live record. Audit: invitation.created."""
    instrument = wave.instrument
    if person.organization_id != instrument.organization_id or person.status != PersonStatus.ACTIVE:
        raise RuleViolation("Only a live record of this organisation can be asked.")
    version = current_version(instrument)
    if version is None:
        raise RuleViolation(f"{instrument.name} has no published version yet.")
    rules = survey_settings(instrument.organization_id)
    if instrument.kind not in rules.gap_exempt_kinds:
        earlier = last_invited(
            person, within_days=rules.invitation_gap_days, exempt=rules.gap_exempt_kinds
        )
        if earlier is not None:
            raise RuleViolation(
                f"Already asked on {earlier.created_at:%Y-%m-%d}: the organisation asks anyone "
                f"at most once every {rules.invitation_gap_days} days."
            )
    if Invitation.objects.filter(
        organization_id=person.organization_id, person=person, subject_key=subject_key
    ).exists():
        raise RuleViolation("This person was already asked about this.")
    purpose, _ = purpose_of(instrument)
    now = clock.now()
    send_at = max(send_after or now, now)
    rule = wave.rule
    open_days = rule.open_days if rule else 14
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization_id=person.organization_id,
                wave=wave,
                version=version,
                person=person,
                channel=pick_channel(person, purpose=purpose),
                language=person.preferred_language or person.organization.default_language,
                status=InvitationStatus.QUEUED,
                created_at=now,
                send_after=send_at,
                expires_at=send_at + timedelta(days=open_days),
                location=location,
                provider=provider,
                department=department,
                subject_key=subject_key,
            )
    except IntegrityError:
        raise RuleViolation("This person was already asked about this.") from None
    record_audit(actor=acting_user, action="invitation.created", target=invitation, patient=person)
    return invitation


def _issue_link(invitation: Invitation) -> str:
    """A fresh random token for the link; only its digest is looked up, and the token is kept
    encrypted so that a reminder repeats the same link."""
    token = secrets.token_urlsafe(24)
    invitation.token_digest = token_digest(token)
    invitation.link_token = token
    return token


@transaction.atomic
def send_invitation(invitation_id: int) -> str:
    """Queue the invitation's message through messaging (consent, quiet hours, opt-outs decide
    whether it may go). Returns the invitation's status; idempotent, and claimed with SKIP
    LOCKED: of two workers, one sends. Audit: invitation.sent or invitation.not_sent."""
    invitation = (
        Invitation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("wave__instrument", "person__organization")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return InvitationStatus.QUEUED  # another worker is sending it this moment
    if invitation.status != InvitationStatus.QUEUED:
        return invitation.status
    purpose, template = purpose_of(invitation.wave.instrument)
    token = _issue_link(invitation)
    message = check_queue_message(
        invitation.person,
        purpose=purpose,
        channel=invitation.channel,
        template_key=template,
        idempotency_key=f"survey:{invitation.public_id}:invite",
        extra={"link": survey_url(token)},
        acting_user=None,
    )
    if message.status == "blocked":
        invitation.status = InvitationStatus.NOT_SENT
        invitation.not_sent_reason = message.status_reason[:200]
    else:
        invitation.status = InvitationStatus.SENT
        invitation.sent_at = clock.now()
    invitation.save(
        update_fields=["status", "not_sent_reason", "sent_at", "token_digest", "link_token"]
    )
    record_audit(
        actor=None,
        action=f"invitation.{invitation.status}",
        target=invitation,
        patient=invitation.person,
    )
    return invitation.status


@transaction.atomic
def remind_invitation(invitation_id: int) -> bool:
    """One reminder to a non-responder, with the same link. Audit: invitation.reminded."""
    invitation = (
        Invitation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("wave__instrument", "person")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return False  # another worker is reminding them this moment
    if (
        invitation.status != InvitationStatus.SENT
        or invitation.responded
        or invitation.reminded_at is not None
        or invitation.expires_at <= clock.now()
        or not invitation.link_token
    ):
        return False
    purpose, _ = purpose_of(invitation.wave.instrument)
    check_queue_message(
        invitation.person,
        purpose=purpose,
        channel=invitation.channel,
        template_key=REMINDER_TEMPLATE
        if purpose == "survey"
        else purpose_of(invitation.wave.instrument)[1],
        idempotency_key=f"survey:{invitation.public_id}:reminder",
        extra={"link": survey_url(invitation.link_token)},
        acting_user=None,
    )
    invitation.reminded_at = clock.now()
    invitation.save(update_fields=["reminded_at"])
    record_audit(
        actor=None, action="invitation.reminded", target=invitation, patient=invitation.person
    )
    return True


# --- the scan ---------------------------------------------------------------------------------


def _invite_quietly(person: Person, **kwargs: object) -> bool:
    """An invitation the rules refuse (asked recently, already asked) is simply not made."""
    try:
        check_invite(person, acting_user=None, **kwargs)  # type: ignore[arg-type]
    except RuleViolation:
        return False
    return True


def _after_visits(rule: DistributionRule, now: datetime) -> int:
    from carebond.scheduling.selectors import list_visits_completed_between

    start = rule.scanned_until or now - timedelta(days=2)
    telehealth_only = rule.instrument.moment == "telehealth"
    visits = [
        visit
        for visit in list_visits_completed_between(rule.organization_id, start=start, end=now)
        if (visit.telehealth or not telehealth_only)
        and (not rule.location_id or visit.location_id == rule.location_id)
    ]
    # the people and places of the whole batch, read once
    people = Person.objects.in_bulk(
        {v.patient_id for v in visits} | {v.provider_id for v in visits}
    )
    places = Location.objects.in_bulk({v.location_id for v in visits})
    made = 0
    for visit in visits:
        made += _invite_quietly(
            people[visit.patient_id],
            wave=month_wave(rule.instrument, rule, visit.ended_at.date()),
            subject_key=f"visit:{visit.public_id}",
            send_after=visit.ended_at + timedelta(hours=rule.delay_hours),
            location=places[visit.location_id],
            provider=people[visit.provider_id],
        )
    return made


def _after_statements(rule: DistributionRule, now: datetime) -> int:
    """The billing micro-survey after each new statement (not after an import of old ones:
    only statements dated within the last two weeks)."""
    from carebond.billing.selectors import list_statements_since

    start = rule.scanned_until or now - timedelta(days=2)
    made = 0
    statements = list_statements_since(
        rule.organization_id, start, dated_from=now.date() - timedelta(days=14)
    )
    people = Person.objects.in_bulk({statement.person_id for statement in statements})
    for statement in statements:
        made += _invite_quietly(
            people[statement.person_id],
            wave=month_wave(rule.instrument, rule, now.date()),
            subject_key=f"statement:{statement.statement_public_id}",
            send_after=now + timedelta(hours=rule.delay_hours),
        )
    return made


def _pulse(rule: DistributionRule, now: datetime) -> int:
    """Every N weeks, the department's staff (or everyone's) are asked, in one wave."""
    last = Wave.objects.filter(rule=rule).order_by("-starts_on").first()
    today = now.date()
    if last is not None and today < last.starts_on + timedelta(weeks=rule.every_weeks):
        return 0
    label = f"{rule.instrument.name}, {rule.department.name + ', ' if rule.department else ''}"
    wave = _wave(
        rule.instrument,
        rule,
        today,
        today + timedelta(days=rule.open_days),
        f"{label}{today:%d %b %Y}",
        department=rule.department,
    )
    staff = StaffProfile.objects.filter(
        organization_id=rule.organization_id, person__status=PersonStatus.ACTIVE
    ).select_related("person", "department", "location")
    if rule.department_id:
        staff = staff.filter(department_id=rule.department_id)
    made = 0
    for profile in staff.order_by("id"):
        made += _invite_quietly(
            profile.person,
            wave=wave,
            subject_key=f"wave:{wave.public_id}",
            location=profile.location,
            department=profile.department,
        )
    return made


def _quarter(rule: DistributionRule, now: datetime) -> int:
    """Each quarter, every active referral source is asked once."""
    today = now.date()
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    wave = _wave(
        rule.instrument,
        rule,
        start,
        end,
        f"{rule.instrument.name}, Q{(start.month + 2) // 3} {start.year}",
    )
    sources = Person.objects.filter(
        organization_id=rule.organization_id,
        kind=PersonKind.REFERRAL_SOURCE,
        status=PersonStatus.ACTIVE,
    ).order_by("id")
    return sum(
        _invite_quietly(person, wave=wave, subject_key=f"wave:{wave.public_id}")
        for person in sources
    )


TriggerHandler = Callable[[DistributionRule, datetime], int]
TRIGGERS: dict[str, TriggerHandler] = {
    Trigger.VISIT_COMPLETED: _after_visits,
    Trigger.BILLING_STATEMENT: _after_statements,
    Trigger.STAFF_PULSE: _pulse,
    Trigger.REFERRAL_QUARTERLY: _quarter,
}


def register_trigger(trigger: str, handler: TriggerHandler) -> None:
    TRIGGERS[trigger] = handler


def run_rule(rule_id: int) -> int:
    """Make the invitations one rule owes now. Idempotent: an event is asked about once (one
    invitation per person and subject), and ``scanned_until`` only moves forward."""
    with transaction.atomic():
        rule = (
            DistributionRule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("instrument", "department")
            .filter(pk=rule_id, active=True)
            .first()
        )
        if rule is None:
            return 0
        now = clock.now()
        handler = TRIGGERS.get(rule.trigger)
        made = handler(rule, now) if handler else 0
        rule.scanned_until = now
        rule.save(update_fields=["scanned_until"])
    return made


def scan_survey_invitations() -> int:
    """The worker's scan: each active rule's new invitations, then every invitation due to go,
    then reminders to non-responders, then partial answers whose link expired (stopped)."""
    done = 0
    for rule_id in DistributionRule.objects.filter(active=True).values_list("id", flat=True):
        done += run_rule(rule_id)
    now = clock.now()
    due = Invitation.objects.filter(status=InvitationStatus.QUEUED, send_after__lte=now)
    for invitation_id in due.values_list("id", flat=True)[:500]:
        send_invitation(invitation_id)
        done += 1
    for invitation in (
        Invitation.objects.filter(
            status=InvitationStatus.SENT,
            responded=False,
            reminded_at__isnull=True,
            expires_at__gt=now,
            wave__rule__isnull=False,
        )
        .select_related("wave__rule")
        .only("id", "sent_at", "wave__rule__remind_after_days")[:500]
    ):
        rule = invitation.wave.rule
        assert rule is not None
        if (
            invitation.sent_at
            and invitation.sent_at + timedelta(days=rule.remind_after_days) <= now
        ):
            done += remind_invitation(invitation.id)
    done += stop_expired_responses(now)
    return done


def stop_expired_responses(now: datetime) -> int:
    """Partial answers whose link has expired become ``stopped`` (FHIR): counted as partial,
    never as complete. Audit: response.stopped (one event per response)."""
    stopped = 0
    for response in Response.objects.filter(
        status=ResponseStatus.IN_PROGRESS, invitation__expires_at__lte=now
    ).select_related("person"):
        with transaction.atomic():
            changed = Response.objects.filter(
                pk=response.pk, status=ResponseStatus.IN_PROGRESS
            ).update(status=ResponseStatus.STOPPED, updated_at=now)
            if changed:
                record_audit(
                    actor=None, action="response.stopped", target=response, patient=response.person
                )
                stopped += 1
    return stopped
