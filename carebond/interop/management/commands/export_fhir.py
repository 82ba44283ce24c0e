"""carebond export-fhir DIR: one organisation's data as FHIR R4 NDJSON, one file per type.

The files are what `Patient/$export` produces (and what the FHIR import reads back). They hold
PHI: write them to private, encrypted storage. The export is recorded in the audit trail.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.core.errors import CareBondError
from carebond.core.models import Organization
from carebond.interop.exporting.actions import do_record_fhir_export
from carebond.interop.exporting.export import clean_export_types, export_types, write_ndjson_files


class Command(BaseCommand):
    help = "Export an organisation's data as FHIR R4 NDJSON files (one per resource type)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("directory", help="Folder to write <Type>.ndjson files into.")
        parser.add_argument(
            "--organization", help="Organisation slug (required when there are several)."
        )
        parser.add_argument(
            "--type",
            action="append",
            default=[],
            dest="types",
            metavar="TYPE",
            help="Export only this resource type (repeatable; default: all).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = self._organization(options.get("organization"))
        try:
            types = (
                clean_export_types(organization.pk, options["types"], field="type")
                if options["types"]
                else export_types(organization.pk)
            )
        except CareBondError as error:
            raise CommandError(error.message) from error
        directory = Path(options["directory"])
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} exists and is not a folder.")
        try:
            files = write_ndjson_files(organization.pk, directory, types=types)
        except OSError as error:
            raise CommandError(f"Cannot write to {directory}: {error.strerror}.") from error
        do_record_fhir_export(organization, acting_user=None, actor_label="cli")
        counts = {f.resource_type: f.count for f in files}
        for resource_type in types:
            count = counts.get(resource_type, 0)
            name = f"{resource_type}.ndjson" if count else "(no file)"
            self.stdout.write(f"{resource_type:<22} {count:>9}  {name}")
        self.stdout.write(f"Wrote {len(files)} file(s), {sum(counts.values())} resource(s).")

    def _organization(self, slug: str | None) -> Organization:
        if slug:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(f"No organisation with the slug {slug!r}.")
            return organization
        organizations = list(Organization.objects.all()[:2])
        if len(organizations) == 1:
            return organizations[0]
        if not organizations:
            raise CommandError("There is no organisation yet.")
        raise CommandError("There are several organisations: name one with --organization SLUG.")
