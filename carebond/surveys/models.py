"""Surveys: instruments and their versions, invitations, responses, comments, service recovery
and the "you said, we did" actions.

An instrument's questions live in its version's ``definition`` (JSON, see ``definitions.py``):
a version is frozen once answered, so every response keeps the exact questions it answered.

Anonymous responses (the staff pulse by default) live in their own table with no link to the
invitation or the person: a random key, the week instead of the moment, and the invitation's
"responded" flag written in a separate transaction with no timestamp (docs/surveys.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from carebond.core.fields import EncryptedTextField
from carebond.core.models import Department, Location, PublicIdModel, TenantModel, TimestampedModel
from carebond.people.models import Person


class InstrumentKind(models.TextChoices):
    PATIENT_EXPERIENCE = "patient_experience", "Patient experience (after a visit)"
    MOMENT = "moment", "Moment-of-truth micro-survey"
    STAFF_PULSE = "staff_pulse", "Staff pulse"
    REFERRAL_SOURCE = "referral_source", "Referral-source satisfaction"
    RECOVERY_FOLLOW_UP = "recovery_follow_up", "Service-recovery follow-up"
    CUSTOM = "custom", "Custom"


class Moment(models.TextChoices):
    """The moments of truth a micro-survey measures (the touchpoints' moments, and telehealth)."""

    SCHEDULING = "scheduling", "Scheduling"
    BILLING = "billing", "Billing"
    COMMUNICATIONS = "communications", "Communications"
    WAITING_ROOM = "waiting_room", "Waiting room"
    TELEHEALTH = "telehealth", "Telehealth"


def default_gap_exempt_kinds() -> list[str]:
    return [InstrumentKind.RECOVERY_FOLLOW_UP.value, InstrumentKind.STAFF_PULSE.value]


class SurveySettings(TenantModel):
    """The organisation's survey rules: how often anyone may be asked, the anonymity thresholds,
    the minimum sample for a provider's score, and the recovery target. One row per organisation.
    """

    invitation_gap_days = models.PositiveSmallIntegerField(default=30)
    # Kinds of instrument outside the gap: a recovery follow-up must reach an unhappy patient,
    # and the staff pulse keeps its own cadence (every N weeks).
    gap_exempt_kinds = models.JSONField(default=default_gap_exempt_kinds, blank=True)
    k_metric = models.PositiveSmallIntegerField(default=5)
    k_comment = models.PositiveSmallIntegerField(default=8)
    provider_min_n = models.PositiveSmallIntegerField(default=30)
    recovery_hours = models.PositiveSmallIntegerField(default=24)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="one_survey_settings_per_org"),
            models.CheckConstraint(
                condition=models.Q(k_metric__gte=3, k_comment__gte=3),
                name="anonymity_threshold_at_least_3",
            ),
        ]


class Instrument(PublicIdModel, TenantModel, TimestampedModel):
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    name_es = models.CharField(max_length=200, blank=True)  # the title Spanish readers see
    kind = models.CharField(max_length=20, choices=InstrumentKind.choices)
    moment = models.CharField(max_length=20, choices=Moment.choices, blank=True)
    anonymous = models.BooleanField(default=False)
    # BCP-47 tags the instrument is written in; the fallback is shown to anyone else.
    languages = models.JSONField(default=list)
    fallback_language = models.CharField(max_length=35, default="en")
    built_in = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="instrument_key_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class InstrumentVersion(PublicIdModel, TenantModel):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=VersionStatus.choices)
    definition = models.JSONField()
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["instrument_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="version_number_once"),
            models.UniqueConstraint(
                fields=["instrument"],
                condition=models.Q(status="published"),
                name="one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} v{self.number}"


class Trigger(models.TextChoices):
    VISIT_COMPLETED = "visit_completed", "Visit completed"
    BILLING_STATEMENT = "billing_statement", "Billing statement"
    STAFF_PULSE = "staff_pulse", "Staff pulse every N weeks"
    REFERRAL_QUARTERLY = "referral_quarterly", "Referral sources each quarter"


class DistributionRule(PublicIdModel, TenantModel, TimestampedModel):
    """When an instrument is sent, to whom, by which channel, and when non-responders are
    reminded. The worker's scan turns rules into waves and invitations."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="rules")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    delay_hours = models.PositiveSmallIntegerField(default=2)
    every_weeks = models.PositiveSmallIntegerField(default=4)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    remind_after_days = models.PositiveSmallIntegerField(default=3)
    open_days = models.PositiveSmallIntegerField(default=14)
    active = models.BooleanField(default=True)
    # Where the scan has reached: events before this were considered.
    scanned_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instrument__name", "trigger"]


class Wave(PublicIdModel, TenantModel):
    """One round of asking: a pulse, a quarter's referral-source survey, or a month of post-visit
    invitations. Response rates are per wave."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="waves")
    rule = models.ForeignKey(
        DistributionRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="waves"
    )
    label = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField()
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "rule", "starts_on"], name="one_wave_per_rule_and_start"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class InvitationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    NOT_SENT = "not_sent", "Not sent (rules)"
    CANCELLED = "cancelled", "Cancelled"


class Invitation(PublicIdModel, TenantModel):
    """One person asked once. The link carries a random token; only its keyed digest is kept.

    For an anonymous instrument ``responded`` is the only trace of an answer, set apart from the
    answers and without a time."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="survey_invitations")
    # sha256 of the link's token (looked up by); the token itself, encrypted, for reminders.
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    link_token = EncryptedTextField(blank=True)
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=35)
    status = models.CharField(max_length=10, choices=InvitationStatus.choices)
    not_sent_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    send_after = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    responded = models.BooleanField(default=False)
    # What it asks about: a visit, a statement, a referral source's quarter (slices the results).
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_key = models.CharField(max_length=80)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One invitation per person per subject (a visit asked about once), whatever the rule.
            models.UniqueConstraint(
                fields=["organization", "person", "subject_key"], name="one_invitation_per_subject"
            ),
        ]
        indexes = [models.Index(fields=["organization", "person", "created_at"])]


class ResponseStatus(models.TextChoices):
    """FHIR QuestionnaireResponse.status: in-progress while answering, stopped when the link
    expired on a partial answer, completed when sent."""

    IN_PROGRESS = "in-progress", "In progress"
    STOPPED = "stopped", "Partial (stopped)"
    COMPLETED = "completed", "Completed"


class Response(PublicIdModel, TenantModel):
    """An identified response. Scored answers are in ``answers`` ({link id: value}); free-text
    answers are comments, stored encrypted."""

    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    wave = models.ForeignKey(
        Wave, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="responses"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="survey_responses")
    status = models.CharField(max_length=12, choices=ResponseStatus.choices)
    answers = models.JSONField(default=dict)
    language = models.CharField(max_length=35)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    may_contact = models.BooleanField(default=False)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["organization", "status", "submitted_at"])]


class AnonymousResponse(TenantModel):
    """An anonymous response: a random key (no order of arrival), the week it came in, the slices
    the results are cut by, and nothing that leads back to the invitation or the person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="anonymous_responses")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict)
    language = models.CharField(max_length=35)
    week_of = models.DateField()
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role_group = models.CharField(max_length=20, blank=True)  # clinical / non-clinical


class AnonymousSlip(TenantModel):
    """A spent (or half-answered) anonymous link, under a second keyed digest of the token that
    the invitation's digest cannot be matched with. It makes a link single-use and keeps
    partial answers; it says nothing about who."""

    slip_digest = models.CharField(max_length=64, unique=True)
    draft = models.JSONField(default=dict)
    sent = models.BooleanField(default=False)


class SentimentLabel(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
    UNKNOWN = "unknown", "Not analysed"


class Comment(PublicIdModel, TenantModel):
    """A free-text answer and what was read in it: sentiment per clause, themes, safety flags."""

    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    anonymous_response = models.ForeignKey(
        AnonymousResponse, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    link_id = models.CharField(max_length=60)
    text = EncryptedTextField()
    language = models.CharField(max_length=35)
    label = models.CharField(max_length=10, choices=SentimentLabel.choices, blank=True)
    compound = models.FloatField(null=True, blank=True)
    # [{"key", "label", "compound", "words": [[start, end], ...]}]
    themes = models.JSONField(default=list, blank=True)
    clauses = models.JSONField(default=list, blank=True)
    flags = models.JSONField(default=list, blank=True)
    theme_keys = models.CharField(max_length=300, blank=True)  # " wait_time billing " for filters
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Identified comments keep the day; anonymous ones only the week.
    received_on = models.DateField()
    anonymous = models.BooleanField(default=False)
    analysed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(response__isnull=True)
                | models.Q(anonymous_response__isnull=True),
                name="comment_one_source",
            ),
        ]


class RecoverySource(models.TextChoices):
    DETRACTOR = "detractor", "Detractor score (0-6)"
    NEGATIVE_COMMENT = "negative_comment", "Negative comment"
    COMPLAINT = "complaint", "Complaint logged by staff"
    SAFETY = "safety", "Safety or urgency flag"
    CONTACT_REQUEST = "contact_request", "Asked to be contacted"


class RecoveryStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONTACTED = "contacted", "Contacted"
    CLOSED = "closed", "Closed"


class RecoveryOutcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    PARTLY = "partly", "Partly resolved"
    UNRESOLVED = "unresolved", "Not resolved"
    NO_REPLY = "no_reply", "Could not reach"
    DECLINED = "declined", "Declined contact"


class RecoveryCase(PublicIdModel, TenantModel):
    """An unhappy person, put right: first contact within the target, escalation when it is
    missed, a contact log, an outcome and a follow-up micro-survey."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="recovery_cases")
    source = models.CharField(max_length=20, choices=RecoverySource.choices)
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="recovery_cases"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="recovery_cases"
    )
    summary = EncryptedTextField(blank=True)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RecoveryStatus.choices)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    first_contact_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=RecoveryOutcome.choices, blank=True)
    follow_up = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A written complaint asking for resolution (42 CFR 482.13(a)(2)): the written response,
    # its date, and the dates the hospital's grievance process sets.
    is_grievance = models.BooleanField(default=False)
    grievance_received_on = models.DateField(null=True, blank=True)
    grievance_due_on = models.DateField(null=True, blank=True)
    written_response = EncryptedTextField(blank=True)
    written_response_on = models.DateField(null=True, blank=True)
    grievance_contact = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # One open case per response: a detractor who also wrote a sad comment is one person.
            models.UniqueConstraint(
                fields=["response"],
                condition=models.Q(response__isnull=False),
                name="one_case_per_response",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status", "due_at"])]


class RecoveryStep(TenantModel):
    case = models.ForeignKey(RecoveryCase, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20)  # opened, contact, note, escalated, grievance, closed
    channel = models.CharField(max_length=10, blank=True)
    note = EncryptedTextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]


class SuggestionStatus(models.TextChoices):
    NEW = "new", "New"
    PASSED_ON = "passed_on", "Passed on"
    DISMISSED = "dismissed", "Dismissed"


class RecognitionSuggestion(PublicIdModel, TenantModel):
    """Praise in a comment that names a staff member: a suggestion to recognise them."""

    staff = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="suggestions")
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices, default="new")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "comment"], name="one_suggestion_per_praise"),
        ]


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class FeedbackAction(PublicIdModel, TenantModel, TimestampedModel):
    """ "You said, we did": a theme turned into a change, with its owner and evidence, published
    for the location and measured against the theme's baseline."""

    theme = models.CharField(max_length=40)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    you_said_en = models.CharField(max_length=300)
    you_said_es = models.CharField(max_length=300)
    we_did_en = models.CharField(max_length=500)
    we_did_es = models.CharField(max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default="planned")
    evidence = models.TextField(blank=True)
    # The theme before: {"since", "until", "comments", "negative"} (counts of clause mentions).
    baseline = models.JSONField(default=dict)
    published_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    # When it was last marked done: the theme is measured on the comments received after.
    done_at = models.DateTimeField(null=True, blank=True)
    # The respondents told when it was published: messages queued, and refused by the rules.
    notified_queued = models.PositiveIntegerField(default=0)
    notified_blocked = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]


class VendorResult(PublicIdModel, TenantModel):
    """A result from an official survey vendor (CG-CAHPS, HCAHPS), imported from its CSV. Shown
    beside, never mixed with, CareBond's own instruments."""

    survey = models.CharField(max_length=40)
    measure = models.CharField(max_length=120)
    period_start = models.DateField()
    period_end = models.DateField()
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    top_box = models.FloatField(null=True, blank=True)
    mean_score = models.FloatField(null=True, blank=True)
    n = models.PositiveIntegerField()
    vendor = models.CharField(max_length=120)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_end", "measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "survey", "measure", "period_start", "location"],
                name="one_vendor_result_per_measure",
            ),
        ]
