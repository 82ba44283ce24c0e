"""Stored laddering studies: the question, segments, the code book, respondents and their ladders.

The analysis itself (docs/methods.md §1) lives in the ``analysis`` package and never touches the
database; ``selectors.ladder_study`` turns these rows into an ``analysis.LadderStudy``.

A rung points at a code by key (``Code.pk``), never by its short id or label, so renaming a code
changes no rung and merging one repoints its rungs in one UPDATE: no ladder is lost.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from carebond.core.fields import EncryptedTextField
from carebond.core.models import PublicIdModel, TenantModel, TimestampedModel


class Level(models.TextChoices):
    """The levels of abstraction of §1.1: a main level, or one of its subtypes."""

    ATTRIBUTE = "A", "Attribute"
    CONCRETE_ATTRIBUTE = "A_c", "Concrete attribute"
    ABSTRACT_ATTRIBUTE = "A_a", "Abstract attribute"
    CONSEQUENCE = "C", "Consequence"
    FUNCTIONAL_CONSEQUENCE = "C_f", "Functional consequence"
    PSYCHOSOCIAL_CONSEQUENCE = "C_p", "Psychosocial consequence"
    VALUE = "V", "Value"
    INSTRUMENTAL_VALUE = "V_i", "Instrumental value"
    TERMINAL_VALUE = "V_t", "Terminal value"


class Study(PublicIdModel, TimestampedModel, TenantModel):
    """One laddering study: what we ask, of whom (segments), and how we probe."""

    title = models.CharField(max_length=200)
    question = models.TextField(help_text="The opening question, e.g. what matters to you about…")
    # The probing questions, one per line ("Why is that important to you?").
    interview_guide = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "title"], name="study_title_per_org"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def probes(self) -> list[str]:
        return [line.strip() for line in self.interview_guide.splitlines() if line.strip()]


class Segment(TenantModel):
    """A group of respondents analysed apart: patients, clinicians, referral sources, staff."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="segment_name_per_study"),
        ]

    def __str__(self) -> str:
        return self.name


class Code(PublicIdModel, TenantModel):
    """A summary content code of the code book: 'C3' = 'feel in control', level C_p."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="codes")
    key = models.CharField(max_length=20, help_text="Short id used in the matrix: A1, C3, V2…")
    label = models.CharField(max_length=120)
    level = models.CharField(max_length=3, choices=Level.choices)
    definition = models.TextField(blank=True)
    # Other words coders (and merged codes) used for the same idea.
    synonyms = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["study", "key"], name="code_key_per_study"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.label}"


class Respondent(PublicIdModel, TenantModel):
    """Someone interviewed. ``label`` is a pseudonym (P-017) and all the analyst ever sees;
    ``person`` (optional, same organisation) makes the respondent identifiable PHI."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="respondents")
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="respondents"
    )
    label = models.CharField(max_length=60)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["study", "label"], name="respondent_label_per_study"),
        ]

    def __str__(self) -> str:
        return self.label


class Ladder(PublicIdModel, TenantModel):
    """One elicited chain of one respondent; its rungs run from position 1 (the bottom)."""

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="ladders")
    key = models.CharField(max_length=20, help_text="The ladder's id within the respondent: L1…")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["respondent_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["respondent", "key"], name="ladder_key_per_respondent"),
        ]


class Rung(TenantModel):
    """A step of a ladder: the code, and what the respondent actually said (encrypted: people
    talk about their health and families in their own words)."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="rungs")
    position = models.PositiveSmallIntegerField()
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="rungs")
    words = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["ladder_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ladder", "position"], name="rung_position_once"),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="rung_position_gte_1"),
        ]
