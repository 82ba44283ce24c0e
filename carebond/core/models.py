"""Base models and the tenancy roots: organisations, their locations and departments."""

from __future__ import annotations

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. America/Chicago).")


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(models.Model):
    """UUIDs go in URLs and the API; integer keys stay inside."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class Organization(PublicIdModel, TimestampedModel):
    """A tenant: a practice, a hospital, or a clinic hosted by a service. PHI never crosses it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # ISO 3166 alpha-2: how phone numbers written without a country code are read.
    country = models.CharField(max_length=2, default="US")
    # BCP-47: the language of messages to people whose own language has no template.
    default_language = models.CharField(max_length=35, default="en", db_default="en")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantModel(models.Model):
    """Every row that belongs to an organisation carries it, so every query can filter on it."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class ImportedModel(models.Model):
    """Provenance of a row that came from another system (a FHIR import): which system, which
    resource there ("Patient/123"), when, and in which import run. Blank for rows made here.

    The origin is also the key that makes re-imports update in place instead of duplicating."""

    origin_system = models.CharField(max_length=200, blank=True, default="", db_default="")
    origin_id = models.CharField(max_length=100, blank=True, default="", db_default="")
    imported_at = models.DateTimeField(null=True, blank=True)
    import_run = models.UUIDField(null=True, blank=True)

    class Meta:
        abstract = True


def origin_constraint(name: str) -> models.UniqueConstraint:
    """One row per resource of a source system, per organisation (what makes imports idempotent)."""
    return models.UniqueConstraint(
        fields=["organization", "origin_system", "origin_id"],
        condition=~models.Q(origin_id=""),
        name=name,
    )


class Location(PublicIdModel, TimestampedModel, TenantModel, ImportedModel):
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Blank means the organisation's time zone.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="location_name_per_org"),
            origin_constraint("location_origin_once"),
        ]

    def __str__(self) -> str:
        return self.name


class Department(PublicIdModel, TimestampedModel, TenantModel):
    name = models.CharField(max_length=200)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="departments"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="department_name_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScanLease(models.Model):
    """Whose turn a periodic scan is, when several workers share the database: the worker that
    moves ``due_at`` forward (one conditional UPDATE) runs the scan; the others skip it until
    then. No PHI, no tenant: one row per scan name."""

    name = models.CharField(max_length=100, unique=True)
    due_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
