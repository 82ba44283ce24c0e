"""Appointments and the schedules they are booked in.

Open times are never stored: they are computed on demand from a provider's weekly template at a
location, its exceptions and the appointments already booked (``availability.py``). What is
stored is what was decided: templates, exceptions, appointment types and appointments.

No double booking is the database's job, not only the code's: overlapping live appointments of
one provider, room or patient are refused by a constraint (a range exclusion on PostgreSQL,
triggers on SQLite; migration 0002), so two front-desk clerks pressing "Book" at once cannot
both win.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from carebond.core.fields import EncryptedTextField
from carebond.core.models import (
    ImportedModel,
    Location,
    PublicIdModel,
    TenantModel,
    TimestampedModel,
)
from carebond.people.models import Person


class VisitMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH = "telehealth", "Telehealth"


class PatientRule(models.TextChoices):
    """Who a type is for. New or established is decided by rule (seen by the same specialty
    within three years), never asked of the patient."""

    ANY = "any", "Any patient"
    NEW = "new", "New patients"
    ESTABLISHED = "established", "Established patients"


class AppointmentType(PublicIdModel, TenantModel, TimestampedModel):
    """A kind of visit and its booking rules."""

    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    name_es = models.CharField(max_length=120, blank=True, help_text="shown to patients in Spanish")
    duration_minutes = models.PositiveSmallIntegerField()
    mode = models.CharField(max_length=10, choices=VisitMode.choices, default=VisitMode.IN_PERSON)
    patients = models.CharField(max_length=11, choices=PatientRule.choices, default=PatientRule.ANY)
    specialty = models.CharField(
        max_length=100, blank=True, help_text="new or established is judged within it"
    )
    referral_required = models.BooleanField(default=False)
    # More than one: a group visit; patients booked at the same start share it, up to this many.
    capacity = models.PositiveSmallIntegerField(default=1)
    providers = models.ManyToManyField(Person, through="TypeProvider", related_name="+", blank=True)
    # Booking rules (staff may override any of them with a reason).
    min_notice_minutes = models.PositiveIntegerField(default=0)
    not_same_day = models.BooleanField(default=False)
    max_days_ahead = models.PositiveSmallIntegerField(default=180)
    cancel_notice_hours = models.PositiveSmallIntegerField(default=24)
    max_per_patient = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="future appointments of this type a patient may hold"
    )
    online = models.BooleanField(default=False, help_text="patients may book it themselves")
    active = models.BooleanField(default=True)
    # Hours before the visit its reminders go, e.g. [72, 24]; empty: SCHEDULING_REMINDER_HOURS.
    reminder_hours = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="appointment_type_key"),
            models.CheckConstraint(condition=Q(duration_minutes__gte=5), name="type_duration_5"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="type_capacity_1"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


class TypeProvider(models.Model):
    """A provider who offers a type (no one named: every provider may)."""

    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE)
    provider = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment_type", "provider"], name="type_provider_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} offers {self.appointment_type_id}"


class Room(TenantModel):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="room_name_per_location")
        ]

    def __str__(self) -> str:
        return self.name


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "Draft (previewed, not in use)"
    APPLIED = "applied", "Applied"


class ScheduleTemplate(PublicIdModel, TenantModel, TimestampedModel):
    """A provider's recurring week at one location, from a day (until a day, or open-ended).
    Previewed as a draft before it is applied; applying it checks the appointments already
    booked against it."""

    provider = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )

    class Meta:
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return self.name


class BlockKind(models.TextChoices):
    OPEN = "open", "Open for booking"
    HOLD = "hold", "Held for same-day visits"
    BREAK = "break", "Break"


class TemplateBlock(TenantModel):
    """A typed block of one weekday in a template: open for some visit types (none named: every
    type the provider offers), held for same-day visits until a set time, or a break."""

    template = models.ForeignKey(ScheduleTemplate, on_delete=models.CASCADE, related_name="blocks")
    weekday = models.PositiveSmallIntegerField(help_text="0 Monday ... 6 Sunday")
    starts = models.TimeField()
    ends = models.TimeField()
    kind = models.CharField(max_length=5, choices=BlockKind.choices, default=BlockKind.OPEN)
    appointment_types = models.ManyToManyField(AppointmentType, related_name="+", blank=True)
    # A hold opens to every type at this time on the day itself.
    released_at = models.TimeField(null=True, blank=True)
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="kept free after each visit in this block"
    )

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="block_weekday"),
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="block_order"),
        ]


class ScheduleException(PublicIdModel, TenantModel):
    """Time a provider (or, with no provider, a whole location) is away: leave, a holiday, a
    meeting. Open times skip it; appointments already booked in it go on a reschedule list."""

    provider = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="exception_order"
            ),
            models.CheckConstraint(
                condition=Q(provider__isnull=False) | Q(location__isnull=False),
                name="exception_whose",
            ),
        ]


class AppointmentStatus(models.TextChoices):
    """FHIR Appointment.status. Roomed and seen are steps of a visit, not statuses."""

    PENDING = "pending", "Held (being confirmed)"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    CHECKED_IN = "checked-in", "Checked in"
    FULFILLED = "fulfilled", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


# The statuses that occupy time: the database refuses two of them overlapping.
LIVE_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)


class CancelledBy(models.TextChoices):
    PATIENT = "patient", "The patient"
    PROVIDER = "provider", "The provider"
    CLINIC = "clinic", "The clinic"


class BookedVia(models.TextChoices):
    STAFF = "staff", "Staff"
    ONLINE = "online", "Online (the patient)"
    API = "api", "API"
    IMPORT = "import", "FHIR import"


class AppointmentSeries(PublicIdModel, TenantModel):
    """A recurring series: every occurrence was checked for conflicts when it was booked."""

    every_days = models.PositiveSmallIntegerField()
    occurrences = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()


class Appointment(PublicIdModel, TenantModel, ImportedModel):
    """A visit booked for a patient with a provider, at a place, for a time. It keeps its
    duration and time zone as booked, whatever later happens to the type or the location."""

    patient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="appointments")
    provider = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    # Two live appointments may overlap for a provider or room only when they share this key:
    # the seats of one group visit ("<type>:<start>"). A one-to-one visit's key is its own id.
    group_key = models.CharField(max_length=80)
    seat = models.PositiveSmallIntegerField(default=1)
    # Overbooked on purpose (a permission-only, logged action): outside the provider's and the
    # room's constraint, never the patient's.
    overbooked = models.BooleanField(default=False)
    series = models.ForeignKey(
        AppointmentSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booked_via = models.CharField(max_length=6, choices=BookedVia.choices, default=BookedVia.STAFF)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booked_at = models.DateTimeField()
    # A rule staff chose to override (short notice, a full day...), and why.
    override_reason = models.CharField(max_length=300, blank=True)
    reason = EncryptedTextField(blank=True, help_text="why the patient comes (PHI)")
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=8, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # A patient's cancellation within the type's notice (adherence counts these apart).
    late_cancellation = models.BooleanField(default=False)
    # The visit's steps: arrived (or checked in), roomed, seen, completed.
    arrived_at = models.DateTimeField(null=True, blank=True)
    roomed_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    telehealth_token = models.CharField(max_length=64, blank=True)
    # The patient confirmed (a reply to a reminder); a move asks again.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The calendar invitation's SEQUENCE (RFC 5545): one more at each move and at cancelling.
    invitation_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["organization", "provider", "starts_at"]),
            models.Index(fields=["organization", "location", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_order"
            ),
            models.UniqueConstraint(
                fields=["provider", "group_key", "seat"],
                condition=Q(status__in=LIVE_STATUSES),
                name="appointment_one_per_seat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type_id} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def waited(self) -> timedelta | None:
        """Time in the waiting room: from arriving to being roomed (or seen, or now)."""
        if self.arrived_at is None:
            return None
        until = self.roomed_at or self.seen_at or self.completed_at
        return (until - self.arrived_at) if until else None

    @property
    def visit_length(self) -> timedelta | None:
        """From being seen to the visit's end."""
        if self.seen_at is None or self.completed_at is None:
            return None
        return self.completed_at - self.seen_at


# --- Self-booking by patients ----------------------------------------------------------------


class SelfBookingStatus(models.TextChoices):
    HELD = "held", "Time held (confirming who is booking)"
    BOOKED = "booked", "Booked"
    RELEASED = "released", "Released (the hold ran out, or too many wrong codes)"


class SelfBooking(PublicIdModel, TenantModel):
    """A patient booking online: the time they chose, held for a few minutes while they confirm
    who they are (their birth date, and a code sent to the phone or email on file, or for a new
    patient to the one they give). Open times count a live hold as taken. Nothing here tells the
    page whether a record exists: the record is matched, or created, only when the code is
    right and the visit is booked."""

    token = models.CharField(max_length=64, unique=True)  # the hold's page: unguessable
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    group_key = models.CharField(
        max_length=80
    )  # as an appointment's: a group visit's seats share it
    status = models.CharField(
        max_length=8, choices=SelfBookingStatus.choices, default=SelfBookingStatus.HELD
    )
    created_at = models.DateTimeField()
    hold_expires_at = models.DateTimeField()
    language = models.CharField(max_length=2, default="en")
    # Keyed hashes, never the address or number itself: how many bookings a device starts and
    # how many codes go to one phone or email in an hour (the rate limits).
    client_key = models.CharField(max_length=64)
    contact_key = models.CharField(max_length=64, blank=True)
    # Who the visit is for, as the person typed it (PHI).
    new_patient = models.BooleanField(default=False)
    given_name = EncryptedTextField(blank=True)
    family_name = EncryptedTextField(blank=True)
    birth_date = models.DateField(null=True, blank=True)
    contact_system = models.CharField(max_length=5, blank=True)
    contact_value = EncryptedTextField(blank=True)
    # A caregiver booking for someone in their care: who they are to the patient.
    caregiver_name = EncryptedTextField(blank=True)
    caregiver_relationship = models.CharField(max_length=10, blank=True)
    # The one-time code, as a keyed hash ("" when none was sent: no code is right).
    code_hash = models.CharField(max_length=64, blank=True)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="self_booking"
    )
    booked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["provider", "status", "starts_at"]),
            models.Index(fields=["client_key", "created_at"]),
            models.Index(fields=["contact_key", "code_sent_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="self_booking_order"
            ),
        ]

    def __str__(self) -> str:
        return f"online booking {self.public_id}"


# --- No-show risk (noshow.py, noshow_actions.py) ---------------------------------------------


class NoShowModel(TenantModel):
    """An organisation's no-show model, kept as numbers rather than a pickled object: scoring is
    a weighted sum anyone can check, and needs no machine-learning library. One per
    organisation, replaced when it is trained again."""

    feature_names = models.JSONField(default=list)
    coefficients = models.JSONField(default=list, help_text="per standardised feature")
    means = models.JSONField(default=list)
    scales = models.JSONField(default=list)
    intercept = models.FloatField()
    # The history's missed-visit rate: r0 of the smoothed prior rate (docs/methods.md §6.1).
    base_rate = models.FloatField()
    # At or above this risk a visit is on the "Visits at risk" list; sensitivity and PPV are
    # what that cut-off gave on the held-out period.
    threshold = models.FloatField()
    auc = models.FloatField()
    sensitivity = models.FloatField()
    ppv = models.FloatField()
    trained_on = models.PositiveIntegerField(help_text="visits in the earlier (training) period")
    tested_on = models.PositiveIntegerField(help_text="visits in the later (held-out) period")
    history_from = models.DateTimeField()
    tested_from = models.DateTimeField()
    history_until = models.DateTimeField()
    trained_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="noshow_model_per_organization")
        ]

    def __str__(self) -> str:
        return f"no-show model of {self.organization_id} (AUC {self.auc:.2f})"


class HelpKind(models.TextChoices):
    """Help offered to a patient whose visit may be missed: never a refusal, never an overbook."""

    CALL = "call", "Confirmation call"
    TRANSPORT = "transport", "Transport"
    TELEHEALTH = "telehealth", "Switch to telehealth"


class HelpOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    NO_ANSWER = "no_answer", "No answer"


class HelpOffer(PublicIdModel, TenantModel):
    """Help offered for one visit, with the risk it was offered at and, later, its outcome. A
    confirmation call that was accepted makes the visit "confirmed" for the model."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=HelpKind.choices)
    risk = models.FloatField(null=True, blank=True)
    offered_at = models.DateTimeField()
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=9, choices=HelpOutcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["offered_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="help_offer_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.appointment_id}"


# --- the waitlist ----------------------------------------------------------------------------
# Patients who want an earlier visit say which providers, places and times suit them. When a
# booked time frees (a cancellation, a visit moved away), an opening is noted in the same
# transaction; the worker offers it to a few waiting patients at a time, and the first one who
# accepts, and is still eligible, books it (waitlist_actions.py).


class WaitlistStatus(models.TextChoices):
    ACTIVE = "active", "Waiting"
    BOOKED = "booked", "Booked"
    REMOVED = "removed", "Removed"


class TimeOfDay(models.TextChoices):
    """When in the day a visit suits the patient, by its start in the location's time zone."""

    MORNING = "morning", "Morning (before 12:00)"
    AFTERNOON = "afternoon", "Afternoon (12:00 to 17:00)"
    EVENING = "evening", "Evening (from 17:00)"


class WaitlistEntry(PublicIdModel, TenantModel, TimestampedModel):
    """A patient waiting for a visit of one type. No provider or location named: any will do;
    no weekday or time of day: any suits. Waiting order is the order entries were added."""

    patient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="waitlist_entries")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="+"
    )
    providers = models.ManyToManyField(
        Person, through="WaitlistProvider", related_name="+", blank=True
    )
    locations = models.ManyToManyField(Location, related_name="+", blank=True)
    weekdays = models.JSONField(default=list, blank=True, help_text="0 Monday ... 6 Sunday")
    times_of_day = models.JSONField(default=list, blank=True, help_text="TimeOfDay values")
    earliest = models.DateField(null=True, blank=True)
    latest = models.DateField(null=True, blank=True)
    note = EncryptedTextField(blank=True, help_text="for the front desk (PHI)")
    status = models.CharField(
        max_length=8, choices=WaitlistStatus.choices, default=WaitlistStatus.ACTIVE
    )
    added_via = models.CharField(max_length=6, choices=BookedVia.choices, default=BookedVia.STAFF)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "status", "appointment_type"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest__isnull=True)
                | Q(earliest__isnull=True)
                | Q(latest__gte=models.F("earliest")),
                name="waitlist_dates_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type_id} for {self.patient_id}"


class WaitlistProvider(models.Model):
    """A provider the patient would see (none named: any provider who offers the type)."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE)
    provider = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "provider"], name="waitlist_provider_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} for {self.entry_id}"


class OpeningStatus(models.TextChoices):
    OPEN = "open", "Being offered"
    FILLED = "filled", "Booked from the waitlist"
    CLOSED = "closed", "Closed"


class WaitlistOpening(PublicIdModel, TenantModel):
    """A booked time that became free: noted in the transaction that freed it, so the worker
    cannot miss one. ``batches``: how many batches of offers have gone out for it; the worker
    that raises it sends the next batch (two workers never send the same one)."""

    provider = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    freed_at = models.DateTimeField()
    freed_by = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=6, choices=OpeningStatus.choices, default=OpeningStatus.OPEN
    )
    closed_reason = models.CharField(max_length=200, blank=True)
    batches = models.PositiveSmallIntegerField(default=0)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="opening_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class OfferStatus(models.TextChoices):
    SENT = "sent", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted (booked)"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    TAKEN = "taken", "Taken by another patient"
    WITHDRAWN = "withdrawn", "Withdrawn"
    UNREACHABLE = "unreachable", "Could not be sent"


class WaitlistOffer(PublicIdModel, TenantModel):
    """One opening offered to one waiting patient, by a message with a link to an unguessable
    page (``token``), until ``expires_at``. The patient's answer and what came of it stay."""

    opening = models.ForeignKey(WaitlistOpening, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    batch = models.PositiveSmallIntegerField()
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=11, choices=OfferStatus.choices)
    status_reason = models.CharField(max_length=300, blank=True)
    message_key = models.CharField(max_length=200, help_text="the offer message's idempotency key")
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["status", "expires_at"])]
        constraints = [
            models.UniqueConstraint(fields=["opening", "entry"], name="offer_once_per_opening")
        ]

    def __str__(self) -> str:
        return f"{self.opening_id} to {self.entry_id}: {self.status}"


# --- replies to reminders ----------------------------------------------------------------------


class ReplyIntent(models.TextChoices):
    CONFIRM = "confirm", "Confirm"
    CANCEL = "cancel", "Cancel"


class ReminderQuestion(TenantModel):
    """ "Which visit?": asked when a reply to a reminder could mean several visits (one
    patient's several, or those of several people sharing a number). The numbered answer
    ("1", "2") from the same number is read against the newest open question."""

    address = models.CharField(max_length=254, help_text="the number that was asked")
    intent = models.CharField(max_length=7, choices=ReplyIntent.choices)
    # The appointments' public ids, in the order they were numbered.
    choices = models.JSONField(default=list)
    asked_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [models.Index(fields=["organization", "address", "-asked_at"])]
