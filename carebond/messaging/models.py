"""Messages in and out, the templates they are written from, the numbers and addresses they are
sent from, and the conversations of the shared inbox.

The outbox is the ``Message`` table itself: an action that causes a message writes its row in
the same transaction (status ``queued``, a unique idempotency key), and the worker claims and
dispatches it (docs/messaging.md). Consent lives in the people app's ledger, never here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carebond.core.fields import EncryptedTextField
from carebond.core.models import PublicIdModel, TenantModel, TimestampedModel
from carebond.core.registry import inbound_topic_label
from carebond.people.models import Person, Purpose


class MessageChannel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"


class MessagePurpose(models.TextChoices):
    """Why a message is sent. Each maps to the consent purpose it needs (``CONSENT_PURPOSE``)."""

    APPOINTMENT = "appointment", "Appointment"
    CARE = "care", "Care"
    SURVEY = "survey", "Survey"
    SERVICE_RECOVERY = "recovery", "Service recovery"
    MARKETING = "marketing", "Marketing and recall"
    STAFF = "staff", "Staff"
    REFERRAL = "referral", "Referral partners"
    # An automatic answer to a text the person sent (a STOP confirmation, HELP, "which of you?"):
    # it answers them, so it needs no consent of its own, and it never markets.
    REPLY = "reply", "Automatic reply"


# The ledger's purpose each message purpose needs consent for. A service-recovery message follows
# up on feedback, so it needs the feedback consent; staff and referral partners are work contacts.
CONSENT_PURPOSE: dict[str, str] = {
    MessagePurpose.APPOINTMENT: Purpose.APPOINTMENT,
    MessagePurpose.CARE: Purpose.CARE,
    MessagePurpose.SURVEY: Purpose.SURVEY,
    MessagePurpose.SERVICE_RECOVERY: Purpose.SURVEY,
    MessagePurpose.MARKETING: Purpose.MARKETING,
    MessagePurpose.STAFF: Purpose.WORK,
    MessagePurpose.REFERRAL: Purpose.WORK,
    MessagePurpose.REPLY: Purpose.CARE,
}


# A provider's message id (a Twilio SID is 34 characters); longer ones are refused, not cut.
PROVIDER_ID_LENGTH = 100


class Sender(PublicIdModel, TenantModel):
    """A number or address the organisation sends from, for some purposes only: STOP sent to the
    marketing number ends marketing texts, never appointment reminders from another number."""

    channel = models.CharField(max_length=5, choices=MessageChannel.choices)
    address = models.CharField(max_length=254, help_text="E.164 number or email address")
    label = models.CharField(max_length=100)
    purposes = models.JSONField(default=list, help_text="MessagePurpose values sent from here")
    # What the carrier allows from this number or address: the worker never sends faster.
    per_second = models.PositiveSmallIntegerField(default=1)
    # Until when this sender's rate is used up (the worker's throttle; empty: free now).
    throttled_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "address"], name="sender_address_once"
            ),
            # The provider's webhook finds the organisation by the number a text went to.
            models.UniqueConstraint(
                fields=["address"],
                condition=models.Q(channel="sms"),
                name="sms_sender_number_in_one_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.address})"


class MessageTemplate(PublicIdModel, TenantModel, TimestampedModel):
    """The words of one kind of message, in one channel and one language. ``{{ field }}`` merge
    fields only, from the allow-list in ``wording.MERGE_FIELDS``."""

    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    purpose = models.CharField(max_length=12, choices=MessagePurpose.choices)
    channel = models.CharField(max_length=5, choices=MessageChannel.choices)
    language = models.CharField(max_length=35, help_text="BCP-47 tag, e.g. en or es")
    subject = models.CharField(max_length=200, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    built_in = models.BooleanField(default=False)

    class Meta:
        ordering = ["key", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "channel", "language"],
                name="template_once_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()}, {self.language})"


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    CLOSED = "closed", "Closed"


class Conversation(PublicIdModel, TenantModel, TimestampedModel):
    """One thread with one outside number or address in the shared inbox. A conversation without
    a person is in triage: a number nobody has, or one shared by several people."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    channel = models.CharField(max_length=5, choices=MessageChannel.choices)
    address = models.CharField(max_length=254, help_text="the other side's number or address")
    sender = models.ForeignKey(Sender, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(
        max_length=8, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Inbound messages nobody has read yet, and when the oldest unanswered one came in.
    unread = models.PositiveIntegerField(default=0)
    waiting_since = models.DateTimeField(null=True, blank=True)
    # Who has it open now (a marker, not a lock), and since when.
    viewing_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    viewing_since = models.DateTimeField(null=True, blank=True)
    # What its latest question was about, as an app's registered topic read it ("billing");
    # blank: no topic. core.registry.inbound_topics().
    topic = models.CharField(max_length=30, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [models.Index(fields=["organization", "status", "-last_message_at"])]

    def get_topic_display(self) -> str:
        return inbound_topic_label(self.topic) if self.topic else ""


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    # A worker stopped between handing the message over and writing down the answer, and the
    # provider cannot be asked: it is never sent again by itself; staff decide.
    UNCERTAIN = "uncertain", "Not known whether sent"
    BLOCKED = "blocked", "Not sent (rules)"
    CANCELLED = "cancelled", "Cancelled"
    RECEIVED = "received", "Received"


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "Sent"
    INBOUND = "inbound", "Received"


class Message(PublicIdModel, TenantModel):
    """One message, either way. Outbound rows are the outbox; inbound rows are never lost, even
    from a number nobody has (they land in a triage conversation)."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    channel = models.CharField(max_length=5, choices=MessageChannel.choices)
    purpose = models.CharField(max_length=12, choices=MessagePurpose.choices, blank=True)
    sender = models.ForeignKey(Sender, null=True, blank=True, on_delete=models.PROTECT)
    to_address = models.CharField(max_length=254)
    from_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = EncryptedTextField()
    body_html = EncryptedTextField(blank=True)
    template_key = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=35, blank=True)
    # Sent under the healthcare exemption (no consent record; capped, short).
    exempt = models.BooleanField(default=False)
    urgent = models.BooleanField(default=False, help_text="may be sent in quiet hours")
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    # Why it was blocked, failed or deferred, in words staff can act on (no PHI).
    status_reason = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=200)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set just before the channel is given the message: a worker killed before this moment
    # never handed it over, and the stale-send scan queues it again without asking anyone.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=PROVIDER_ID_LENGTH, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When a sent message's touchpoint and audit event were written: the worker writes them for
    # a whole batch at once, after marking each message sent; the stale-send scan writes those
    # a worker killed in between never wrote.
    recorded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Email threading: our Message-ID and the one a reply answered.
    message_id_header = models.CharField(max_length=300, blank=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # Emails only: the files it carries, as JSON [{"filename", "content_type", "content"}],
    # encrypted like the words (a calendar invitation names the visit's time and place).
    attachments = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="message_idempotency_key_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "due_at"],
                name="outbox_due",
                condition=Q(status="queued"),
            ),
            models.Index(fields=["person", "-created_at"], name="messages_of_person"),
            models.Index(fields=["organization", "provider_id"], name="message_provider_id"),
            models.Index(
                fields=["sent_at"],
                name="sent_not_recorded",
                condition=Q(sent_at__isnull=False, recorded_at__isnull=True),
            ),
        ]


class RevocationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for staff"
    CONFIRMED = "confirmed", "Recorded as revocation"
    DISMISSED = "dismissed", "Not a revocation"


class RevocationRequest(PublicIdModel, TenantModel):
    """A reply that reads like "stop" without being a keyword ("no more texts", "wrong number"):
    staff decide, and a confirmed one is written to the consent ledger."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # No foreign key in the database: messages are partitioned on PostgreSQL (docs/deployment.md).
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="revocation", db_constraint=False
    )
    status = models.CharField(
        max_length=10, choices=RevocationStatus.choices, default=RevocationStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)


class OptedOutNumber(TenantModel):
    """A STOP from a number no person in the records has: texts of that purpose to the number
    stop anyway, whoever it later turns out to be (linking the conversation also records the
    opt-out on the person's consent ledger)."""

    address = models.CharField(max_length=254)
    purpose = models.CharField(max_length=12, help_text="the consent purpose it ended")
    message = models.ForeignKey(
        Message, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "address", "purpose"], name="opted_out_number_once"
            ),
        ]


class OfficeHours(TenantModel):
    """When the inbox is staffed: one row per opening on a weekday (a split shift is two rows).
    Replies are timed against these hours; outside them a text gets the after-hours answer."""

    weekday = models.PositiveSmallIntegerField(help_text="0 Monday ... 6 Sunday")
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]


class OfficeClosure(TenantModel):
    """A day the office is closed although its weekday has hours (a holiday)."""

    day = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="office_closure_once")
        ]


class InboxCapacity(TenantModel):
    """How many open conversations one colleague can hold at once (0: takes none). Without a
    row, settings.MESSAGING_DEFAULT_CAPACITY."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_capacity"
    )
    open_conversations = models.PositiveSmallIntegerField()


class SecureNote(PublicIdModel, TenantModel):
    """Words too sensitive for a text or an email: the person gets a link (its public id, a
    random UUID) and reads them after confirming their birth date. Expires; locks after too
    many wrong dates."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="secure_notes")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = EncryptedTextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)


class InboxNote(PublicIdModel, TenantModel):
    """A private note between staff on a conversation; never sent."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class AnsweredBy(models.TextChoices):
    REPLY = "reply", "A staff reply"
    CLOSED = "closed", "Closed"


class TopicQuestion(TenantModel):
    """A question on a registered topic (a billing question): the inbound message that asked
    it, and when staff answered it (their first reply in the conversation, or closing it).
    What a topic's figures are counted from: how many came, how long they waited. Further
    messages on the topic while it waits are the same question."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="topic_questions"
    )
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    topic = models.CharField(max_length=30)
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=6, choices=AnsweredBy.choices, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "topic"],
                condition=Q(answered_at__isnull=True),
                name="one_waiting_question_per_topic",
            ),
        ]
        indexes = [models.Index(fields=["organization", "topic", "asked_at"])]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"  # its messages are queued for their times
    FINISHED = "finished", "Finished"  # nothing of it is left to send
    CANCELLED = "cancelled", "Cancelled"


class Campaign(PublicIdModel, TenantModel, TimestampedModel):
    """A recall or outreach sent to a segment at a set time, throttled to the sender's limit.
    Each recipient's message is an ordinary outbox row (``Message.campaign``), checked by the
    same rules when queued and again when sent."""

    name = models.CharField(max_length=200)
    template_key = models.SlugField(max_length=60)
    channel = models.CharField(max_length=5, choices=MessageChannel.choices)
    purpose = models.CharField(max_length=12, choices=MessagePurpose.choices)
    segment = models.JSONField(default=dict, help_text="the segment's rules")
    link = models.URLField(blank=True, help_text="the {{ link }} merge field")
    status = models.CharField(
        max_length=10,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_default=CampaignStatus.DRAFT,
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
