"""The registry of people an organisation has relationships with.

One ``Person`` table holds patients, referral sources (practitioners and organisations), staff
and related persons (family, caregivers), so that search, the timeline and merge work the same for
all of them. What only one kind has lives in a one-to-one profile or in its own table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carebond.core.fields import EncryptedTextField
from carebond.core.models import (
    Department,
    ImportedModel,
    Location,
    PublicIdModel,
    TenantModel,
    TimestampedModel,
    origin_constraint,
)


class PersonKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    REFERRAL_SOURCE = "referral_source", "Referral source"
    STAFF = "staff", "Staff member"
    RELATED = "related", "Related person"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DECEASED = "deceased", "Deceased"
    MERGED = "merged", "Merged into another record"


class AdministrativeGender(models.TextChoices):
    """FHIR administrative-gender: what the EHR records; gender identity is separate."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class PersonQuerySet(models.QuerySet["Person"]):
    def of(self, organization_id: int) -> PersonQuerySet:
        return self.filter(organization_id=organization_id)

    def live(self) -> PersonQuerySet:
        """Everyone but records merged into another."""
        return self.exclude(status=PersonStatus.MERGED)


class Person(PublicIdModel, TimestampedModel, TenantModel, ImportedModel):
    kind = models.CharField(max_length=20, choices=PersonKind.choices)
    status = models.CharField(
        max_length=12, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    # Names: the official name, and the name the person wants to be called (used everywhere).
    prefix = models.CharField(max_length=40, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    suffix = models.CharField(max_length=40, blank=True)
    preferred_name = models.CharField(max_length=100, blank=True)
    maiden_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    # A name an EHR sent whole, without parts (FHIR HumanName.text alone): shown as written,
    # never split into a guessed given and family name.
    name_text = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Other names the person was or is known by, as the EHR sent them (FHIR HumanName with use
    # old, temp, anonymous...): [{"use": "old", "family": "...", "given": [...]}]. Searchable.
    other_names = models.JSONField(default=list, blank=True, db_default=[])
    # Referral sources that are organisations have a name of their own instead.
    organization_name = models.CharField(max_length=200, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    # When a deceased person died, when the record says (FHIR deceasedDateTime, as a date).
    deceased_date = models.DateField(null=True, blank=True)
    # As the EHR says it: "" (not stated), "true"/"false", or the birth order ("2": second twin).
    multiple_birth = models.CharField(max_length=5, blank=True, default="", db_default="")
    administrative_gender = models.CharField(
        max_length=10, choices=AdministrativeGender.choices, blank=True
    )
    sex_assigned_at_birth = models.CharField(max_length=20, blank=True)
    gender_identity = models.CharField(max_length=60, blank=True)
    preferred_language = models.CharField(max_length=35, blank=True, help_text="BCP-47 tag")
    time_zone = models.CharField(max_length=64, blank=True)
    # Accessibility needs shown as alerts on the person's page.
    interpreter_needed = models.BooleanField(default=False)
    large_print = models.BooleanField(default=False)
    mobility_assistance = models.BooleanField(default=False)
    accessibility_notes = EncryptedTextField(blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "kind", "family_name", "given_name"]),
            models.Index(fields=["organization", "birth_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_name="", family_name="", organization_name="", name_text=""),
                name="person_has_a_name",
            ),
            origin_constraint("person_origin_once"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name staff use: the preferred name first (never the official one if it differs)."""
        return self.name_for(
            self.given_name,
            self.family_name,
            self.preferred_name,
            self.name_text,
            self.organization_name,
        )

    @staticmethod
    def name_for(
        given_name: str, family_name: str, preferred_name: str, name_text: str, organization: str
    ) -> str:
        """``display_name`` from the columns alone (lists of thousands read only these)."""
        if organization and not (given_name or family_name):
            return organization
        if name_text and not (given_name or family_name):
            return name_text
        first = preferred_name or given_name
        return " ".join(part for part in (first, family_name) if part)

    @property
    def official_name(self) -> str:
        parts = (self.prefix, self.given_name, self.middle_name, self.family_name, self.suffix)
        return " ".join(p for p in parts if p) or self.organization_name or self.name_text

    @property
    def initials(self) -> str:
        words = [w for w in self.display_name.replace("-", " ").split() if w[:1].isalpha()]
        return "".join(w[0] for w in words[:2]).upper() or "?"


class Identifier(TenantModel):
    """MRN, NPI, insurance member number...: a system (URI) and a value, unique per system."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(max_length=200)
    value = models.CharField(max_length=100)
    type_code = models.CharField(max_length=20, blank=True, help_text="v2-0203, e.g. MR, NPI")
    label = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "system", "value"], name="identifier_unique_per_system"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.type_code or self.system}: {self.value}"


class ContactSystem(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"


class ContactUse(models.TextChoices):
    HOME = "home", "Home"
    WORK = "work", "Work"
    MOBILE = "mobile", "Mobile"
    OTHER = "other", "Other"


class ContactPoint(TenantModel):
    """A phone number (stored E.164) or email (stored lower-case), with use and rank (1 = first)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_points")
    system = models.CharField(max_length=10, choices=ContactSystem.choices)
    value = models.CharField(max_length=254)
    use = models.CharField(max_length=10, choices=ContactUse.choices, default=ContactUse.HOME)
    rank = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["system", "rank"]
        indexes = [models.Index(fields=["organization", "system", "value"])]

    def __str__(self) -> str:
        return self.value


class Address(TenantModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    use = models.CharField(max_length=10, choices=ContactUse.choices, default=ContactUse.HOME)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    rank = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return ", ".join(
            p for p in (self.line1, self.line2, self.city, self.state, self.postal_code) if p
        )


class Channel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    PORTAL = "portal", "Patient portal"
    POST = "post", "Post"


class Purpose(models.TextChoices):
    APPOINTMENT = "appointment", "Appointments and reminders"
    CARE = "care", "Care and results"
    SURVEY = "survey", "Surveys and feedback"
    MARKETING = "marketing", "News and marketing"
    WORK = "work", "Work messages (staff, referral partners)"


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", "Granted"
    REVOKED = "revoked", "Revoked"


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbal, recorded by staff"
    PHONE = "phone", "By phone, recorded by staff"
    EMAIL = "email", "By email, recorded by staff"
    TEXT_REPLY = "text_reply", "Text reply, confirmed by staff"
    PROVIDER = "provider", "Opted out with the text provider"
    WRITTEN = "written", "Signed form"
    PORTAL = "portal", "Patient portal"
    SMS_KEYWORD = "sms_keyword", "Text keyword (e.g. STOP)"
    EMAIL_LINK = "email_link", "Unsubscribe link"
    IMPORT = "import", "Imported record"


class ConsentRecord(PublicIdModel, TenantModel):
    """One decision about contact on a channel for a purpose. The newest per pair is in force;
    older ones stay as the history (who, when, how, evidence). The public id is its FHIR
    Consent id."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    status = models.CharField(max_length=8, choices=ConsentStatus.choices)
    method = models.CharField(max_length=12, choices=ConsentMethod.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "channel", "purpose", "-recorded_at"])]


class RelationshipType(models.TextChoices):
    """A subset of FHIR v3-RoleCode used for family and caregivers."""

    MOTHER = "MTH", "Mother"
    FATHER = "FTH", "Father"
    PARENT = "PRN", "Parent"
    SPOUSE = "SPS", "Spouse"
    PARTNER = "DOMPART", "Domestic partner"
    CHILD = "CHILD", "Child"
    SIBLING = "SIB", "Sibling"
    GUARDIAN = "GUARD", "Guardian"
    CAREGIVER = "CAREGIVER", "Caregiver"
    FRIEND = "FRND", "Friend"
    OTHER = "O", "Other"


class Relationship(TenantModel):
    """A patient's family member or caregiver, who is a Person with their own contact details."""

    patient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships")
    related = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="related_to")
    relationship = models.CharField(max_length=10, choices=RelationshipType.choices)
    is_emergency_contact = models.BooleanField(default=False)
    may_discuss_care = models.BooleanField(
        default=False, help_text="HIPAA: the patient agreed staff may discuss their care with them"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "related"], name="relationship_once"),
        ]


class CareTeamMember(TenantModel):
    patient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_team")
    staff = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="care_teams")
    role = models.CharField(max_length=60, help_text="e.g. Primary care physician, Care manager")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "staff", "role"], name="care_team_once"),
        ]


class HistoryCategory(models.TextChoices):
    PROBLEM = "problem", "Problem"
    ALLERGY = "allergy", "Allergy"
    MEDICATION = "medication", "Medication"
    IMMUNIZATION = "immunization", "Immunization"


class HistoryItem(TenantModel, TimestampedModel, ImportedModel):
    """A line of the short medical-history summary, coded as system + code + display."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="history")
    category = models.CharField(max_length=12, choices=HistoryCategory.choices)
    code_system = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=60, blank=True)
    display = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)
    onset = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["category", "display"]
        constraints = [origin_constraint("history_origin_once")]


class PersonalNote(PublicIdModel, TenantModel):
    """Something staff want to remember about a person (a life event, a preference)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="personal_notes")
    text = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]


class ReferralSourceType(models.TextChoices):
    PRACTITIONER = "practitioner", "Referring practitioner"
    ORGANIZATION = "organization", "Referring organisation"


class ReferralSourceProfile(TenantModel):
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="referral_profile")
    source_type = models.CharField(max_length=12, choices=ReferralSourceType.choices)
    npi = models.CharField(max_length=10, blank=True)
    specialty = models.CharField(max_length=120, blank=True)
    practice_name = models.CharField(max_length=200, blank=True)
    affiliations = models.CharField(max_length=300, blank=True)
    preferred_contact = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referral_sources",
    )


class StaffProfile(TenantModel):
    """A staff member or provider: separate from the login (a provider may have none)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="staff_profile")
    job_title = models.CharField(max_length=120)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_date = models.DateField(null=True, blank=True)
    is_clinical = models.BooleanField(default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_profile",
    )


class SearchTerm(models.Model):
    """One searchable term of a person: a name word, birth date, identifier, phone or email.

    Written only by ``people.search.index_person`` (and the bulk generator); read by prefix range
    scans on (organization, term), which are fast on both databases.
    """

    organization_id = models.BigIntegerField()
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=120)
    field = models.CharField(max_length=10)  # name, birth, id, phone, email

    class Meta:
        indexes = [models.Index(fields=["organization_id", "term"], name="search_term_prefix")]

    def __str__(self) -> str:
        return f"{self.field}:{self.term}"


class NameTerm(models.Model):
    """The vocabulary of name words per organisation, for one-typo fuzzy matching.

    Much smaller than the people table (a name word is shared by many), so a trigram match on it
    is fast; the exact words found then go through ``SearchTerm``.
    """

    organization_id = models.BigIntegerField()
    term = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization_id", "term"], name="name_term_once"),
        ]

    def __str__(self) -> str:
        return self.term


class MergeRecord(PublicIdModel, TenantModel):
    """What a merge moved, row by row, so that it can be undone within 30 days."""

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_absorbed")
    moved = models.JSONField(default=dict, help_text="{model label: [row ids]}")
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at"]


class DistinctPair(PublicIdModel, TenantModel):
    """Two records someone checked and found to be two people ("not the same person"): the
    duplicates list never offers the pair again. ``first`` is the one with the lower id."""

    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="distinct_pair_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="distinct_pair_ordered"
            ),
        ]
