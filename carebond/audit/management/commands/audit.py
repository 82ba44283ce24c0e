"""carebond audit verify | export: check the hash chain; write FHIR AuditEvent NDJSON."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.audit.actions import do_record_audit_export
from carebond.audit.checkpoints import (
    checkpoint_file,
    first_missed_checkpoint,
    read_checkpoints,
    take_checkpoint,
)
from carebond.audit.fhir import to_fhir
from carebond.audit.models import AuditEvent, chain_start
from carebond.audit.selectors import verify_chain
from carebond.core.command_options import add_organization_argument
from carebond.core.models import Organization


class Command(BaseCommand):
    help = "Verify the audit hash chain, or export audit events as FHIR AuditEvent NDJSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser(
            "verify",
            help="Recompute the hash chain and compare the checkpoints; exit 1 naming the "
            "first break.",
        )
        sub.add_parser(
            "checkpoint",
            help="Append the newest event's id and hash to the checkpoint file (the worker "
            "does this daily).",
        )
        export = sub.add_parser("export", help="Write FHIR AuditEvent NDJSON.")
        export.add_argument("--output", "-o", default="-", help="File to write (default stdout).")
        add_organization_argument(export, help="Slug of one organisation (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "verify":
            self._verify()
        elif options["verb"] == "checkpoint":
            checkpoint = take_checkpoint()
            if checkpoint is None:
                self.stdout.write("The audit trail is empty; nothing to checkpoint.")
            else:
                self.stdout.write(
                    f"Checkpoint: event {checkpoint.event_id} {checkpoint.hash} "
                    f"-> {checkpoint_file()}"
                )
        else:
            self._export(options["output"], options.get("organization"))

    def _verify(self) -> None:
        report = verify_chain()
        missed = first_missed_checkpoint(read_checkpoints()) if report.intact else None
        if missed is not None:
            checkpoint, reason = missed
            self.stderr.write(
                f"Audit chain BROKEN at checkpointed event {checkpoint.event_id} (checkpoint of "
                f"{checkpoint.taken_at}): {reason}."
            )
            sys.exit(1)
        if report.intact:
            self.stdout.write(f"Audit chain intact: {report.checked} events verified.")
            first_kept_id, _, cut = chain_start()
            if cut is not None:
                self.stdout.write(
                    f"Starts at event {first_kept_id}: retention removed the events before "
                    f"{cut.removed_before:%Y-%m-%d} on {cut.applied_at:%Y-%m-%d}."
                )
            self.stdout.write(f"Head hash: {report.head_hash}")
            return
        broken = report.first_break
        assert broken is not None
        self.stderr.write(
            f"Audit chain BROKEN at event {broken.event_id} ({broken.public_id}): "
            f"{broken.reason}. {report.checked} events before it verified."
        )
        sys.exit(1)

    def _export(self, output: str, organization_slug: str | None) -> None:
        events = AuditEvent.objects.select_related("actor").order_by("id")
        if organization_slug:
            organization = Organization.objects.filter(slug=organization_slug).first()
            if organization is None:
                raise CommandError(f"No organisation with the slug {organization_slug!r}.")
            events = events.filter(organization=organization)
        do_record_audit_export(acting_user=None)
        count = 0
        if output == "-":
            for event in events.iterator(chunk_size=2000):
                self.stdout.write(json.dumps(to_fhir(event)))
                count += 1
            return
        with open(output, "w", encoding="utf-8") as stream:
            for event in events.iterator(chunk_size=2000):
                stream.write(json.dumps(to_fhir(event)) + "\n")
                count += 1
        if output != "-":
            self.stdout.write(f"Wrote {count} AuditEvent resources to {output}.")
