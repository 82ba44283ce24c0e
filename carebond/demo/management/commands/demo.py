"""carebond demo: build the demo organisation (deterministic by seed) and serve it."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from carebond.demo.builder import SIZES, build_demo


class Command(BaseCommand):
    help = "Build the demo organisation and serve it at http://127.0.0.1:8000."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--size", choices=SIZES, default="small")
        parser.add_argument("--no-serve", action="store_true", help="Build, print, and exit.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Serve without the background worker (FHIR uploads and exports then wait).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError(
                "The demo creates accounts with known passwords: it never runs "
                "with production settings."
            )
        call_command("migrate", interactive=False, verbosity=0)
        result = build_demo(seed=options["seed"], size=options["size"])
        console = Console(file=io.StringIO(), record=True, width=100)
        table = Table(title=f"Demo users ({result.organization.name}, seed {options['seed']})")
        for column in ("username", "role", "password"):
            table.add_column(column)
        for username, role, password in result.credentials:
            table.add_row(username, role, password)
        console.print(table)
        if result.people is not None:
            console.print(
                f"{len(result.people.patients)} patients, {len(result.people.staff)} staff, "
                f"{len(result.people.referral_sources)} referral sources; try searching "
                "'Nguyen' (a duplicate pair to merge) or 'lopz' (a typo)."
            )
            console.print(
                "Sign in as manager for FHIR import (an EHR feed, one Bundle rejected and "
                "named) and Value maps (patients and clinicians meeting at trust)."
            )
        if settings.CAREBOND_DEMO:
            console.print("Demo mode (CAREBOND_DEMO=1): demo accounts sign in without MFA.")
        else:
            console.print("Demo accounts enrol MFA at first sign-in (set CAREBOND_DEMO=1 to skip).")
        if not options["no_serve"]:
            url = f"http://{options['host']}:{options['port']}"
            console.print(f"Serving CareBond at {url}  (Ctrl+C stops)")
            if not options["no_worker"]:
                console.print("With a background worker: FHIR uploads, bulk exports and scans.")
        self.stdout.write(console.export_text())
        self.stdout.flush()
        if options["no_serve"]:
            return
        self._serve(options)

    def _serve(self, options: dict[str, Any]) -> None:
        """The web server in this process and, unless asked not to, the worker beside it (the
        FHIR upload page and $export hand their work to it), stopped together."""
        worker = (
            None
            if options["no_worker"]
            else subprocess.Popen([sys.executable, "-m", "carebond.cli", "worker"])
        )
        # Ctrl+C and SIGTERM (kill, a process manager) end the server, so the worker goes too.
        # Ctrl+C explicitly: a shell that starts the demo as a background job makes it ignore
        # SIGINT, and Python then never turns it into KeyboardInterrupt.
        signal.signal(signal.SIGINT, _exit_on_signal)
        signal.signal(signal.SIGTERM, _exit_on_signal)
        try:
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()  # the worker finishes the task in hand, then exits
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
