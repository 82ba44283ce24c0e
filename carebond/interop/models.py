"""What FHIR imports leave behind: the runs (progress, counts, problems) and the resources kept
whole for the apps that will own them (appointments, referrals, tasks, questionnaires, consents)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from carebond.accounts.models import ApiToken
from carebond.core.fields import EncryptedTextField
from carebond.core.models import ImportedModel, PublicIdModel, TenantModel, origin_constraint
from carebond.people.models import Person


class EhrConnection(PublicIdModel, TenantModel):
    """A system that sends the organisation FHIR data: an EHR, an interface engine. Its
    ``system`` URI is what everything imported from it carries as ``origin_system``, so the same
    resource sent by the command line, the upload page or POST /fhir/R4 is recognised as the
    same (one source record per connection and resource id)."""

    name = models.CharField(max_length=100)
    system = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="ehr_connection_name_once"
            ),
            models.UniqueConstraint(
                fields=["organization", "system"], name="ehr_connection_system_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.system})"


class EhrConnectionToken(TenantModel):
    """An API token tied to a connection: what it posts to /fhir/R4 is that connection's."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(EhrConnection, on_delete=models.CASCADE, related_name="tokens")


class ImportVia(models.TextChoices):
    CLI = "cli", "Command line"
    API = "api", "FHIR API"
    UPLOAD = "upload", "Upload page"


class ImportStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class ImportRun(PublicIdModel, TenantModel):
    """One import of one or more files. Counts per resource type are
    {"Patient": {"imported": 3, "updated": 0, "unchanged": 0, "skipped": 0, "rejected": 0}}."""

    via = models.CharField(max_length=8, choices=ImportVia.choices)
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_system = models.CharField(max_length=200)
    connection = models.ForeignKey(
        EhrConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved on at every unit committed: a running import that stops moving was interrupted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    resources_read = models.PositiveIntegerField(default=0)
    bundles_committed = models.PositiveIntegerField(default=0)
    bundles_rejected = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    # [{"file", "entry", "resource", "path", "message"}]: why bundles were rejected. Paths and
    # messages name fields, never values; file names can hold names, so the page is PHI-scoped.
    problems = models.JSONField(default=list)
    # Uploaded files wait here until the worker imports them, then are deleted.
    upload_dir = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"FHIR import {self.public_id} ({self.status})"


class StoredResource(PublicIdModel, TenantModel, ImportedModel):
    """A FHIR resource CareBond keeps whole until the app that owns its kind takes it over
    (Appointment -> scheduling, ServiceRequest -> referrals, Task, Questionnaire(Response),
    Consent). References that were resolved point at CareBond ids ("Patient/<public id>")."""

    resource_type = models.CharField(max_length=40)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    body = EncryptedTextField()  # the resource as JSON: PHI, encrypted at rest
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["resource_type", "-occurred_at", "id"]
        indexes = [
            models.Index(fields=["organization", "resource_type", "person"]),
        ]
        constraints = [origin_constraint("stored_resource_origin_once")]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.public_id}"


class ExportStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class BulkExport(PublicIdModel, TenantModel):
    """A FHIR bulk $export job: kicked off, polled, its NDJSON files downloaded, then expired."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=9, choices=ExportStatus.choices, default=ExportStatus.ACCEPTED
    )
    resource_types = models.JSONField(default=list)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    output_dir = models.CharField(max_length=500, blank=True)
    # [{"type": "Patient", "file": "Patient.ndjson", "count": 34}]
    files = models.JSONField(default=list)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]


class SourceRecord(TenantModel):
    """Every resource an import mapped, by its source system and id: what it became here and a
    hash of its content. A re-import of the same content is 'unchanged' and writes nothing; a
    changed one updates the row it became."""

    origin_system = models.CharField(max_length=200)
    origin_id = models.CharField(max_length=100)  # "Patient/123"
    content_hash = models.CharField(max_length=32)
    # The resource's meta.lastUpdated when it had one: an older version never replaces a newer.
    source_updated = models.DateTimeField(null=True, blank=True)
    # Versions that met this one in one import (the same resource in several files, none newer
    # by meta.lastUpdated) and lost to a later file's: [[content hash, run public id], ...].
    # Met again in a later import, they are not taken back: re-importing changes nothing.
    superseded = models.JSONField(default=list, blank=True, db_default=[])
    target = models.CharField(max_length=40)  # "person:12", "location:3", "touchpoint:99"
    import_run = models.UUIDField()
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "origin_system", "origin_id"], name="source_record_once"
            )
        ]


class RecordIdentifier(TenantModel):
    """Business identifiers (Encounter.identifier, Condition.identifier, Immunization.identifier
    ...) of the visits, history items and kept resources imports wrote for patients. Another
    resource with one of them, for the same patient, is that row again, whatever the connection
    or the path it came by: never a second visit or history item."""

    resource_type = models.CharField(max_length=40)
    system = models.CharField(max_length=200)
    value = models.CharField(max_length=100)
    target = models.CharField(max_length=40)  # "touchpoint:12", "history:7", "stored:3"
    content_hash = models.CharField(max_length=32)  # of the version the row holds

    class Meta:
        indexes = [
            models.Index(fields=["organization", "resource_type", "value"]),
            models.Index(fields=["organization", "target"]),
        ]


class SourceKey(TenantModel):
    """Identifiers of imported resources that others point at through conditional references
    ("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|123"). Looked up within the same
    source system only: identifiers such as NPIs repeat across unrelated sources."""

    origin_system = models.CharField(max_length=200)
    key = models.CharField(max_length=400)  # "Practitioner?identifier=system|value"
    target = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["organization", "origin_system", "key"])]


class PendingReference(TenantModel):
    """A reference that pointed at nothing yet when its resource was imported, sent in a later
    file or run: a visit's practitioner or location, a role's practitioner, a related person's
    patient, the patient of a resource kept whole. When a resource of the same source arrives
    under one of these keys, what waited gets it and the entry goes."""

    origin_system = models.CharField(max_length=200)
    key = models.CharField(max_length=400)  # as reference_keys gives it: "Practitioner/7"
    # What waits: "touchpoint:99" (field staff or location), "person:12" (a related person's
    # patient), "stored:5" (a kept resource's patient), "role:<hash of its id>" (a role's
    # practitioner, which has no row of its own: the payload carries its specialty).
    holder = models.CharField(max_length=40)
    field = models.CharField(max_length=20)  # staff, location, patient, stored_patient, role
    payload = models.JSONField(default=dict, blank=True)  # what to fill in besides the link

    class Meta:
        indexes = [
            models.Index(fields=["organization", "origin_system", "key"]),
            models.Index(fields=["organization", "holder"]),
        ]
