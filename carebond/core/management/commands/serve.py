"""carebond serve: the development web server, or gunicorn with --production."""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from carebond.core.readiness import static_files_problem

GUNICORN_CONFIG = "python:config.gunicorn"


class Command(BaseCommand):
    help = "Run the development web server, or the production one with --production."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, help="Port to listen on (default 8000).")
        parser.add_argument("--reload", action="store_true", help="Restart on code changes.")
        parser.add_argument(
            "--production",
            action="store_true",
            help="Serve with gunicorn (config/gunicorn.py, CAREBOND_WEB_* variables).",
        )
        parser.add_argument("--workers", type=int, help="gunicorn worker processes.")
        parser.add_argument("--threads", type=int, help="Threads per gunicorn worker.")
        parser.add_argument(
            "--allow-non-production",
            action="store_true",
            help="Let --production run with development or test settings (a rehearsal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["production"]:
            host, port = options["host"] or "127.0.0.1", options["port"] or 8000
            call_command("runserver", f"{host}:{port}", use_reloader=options["reload"])
            return
        # gunicorn takes this process's place: systemd's signals reach its master directly.
        os.execv(sys.executable, gunicorn_command(options))  # noqa: S606 (our own interpreter)


def gunicorn_command(options: dict[str, Any]) -> list[str]:
    """The gunicorn command line, after the checks that would make every request fail."""
    if not getattr(settings, "PRODUCTION", False) and not options["allow_non_production"]:
        raise CommandError(
            f"--production needs the production settings, but these are {settings.SETTINGS_MODULE}"
            ": set CAREBOND_ENV=production (or add --allow-non-production for a rehearsal)."
        )
    if options["reload"]:
        raise CommandError("--reload is for the development server; leave it out here.")
    problem = static_files_problem()
    if problem:
        raise CommandError(f"Not starting: {problem}.")
    argv = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG]
    if options["host"] or options["port"]:
        host = options["host"] or os.environ.get("CAREBOND_WEB_HOST", "127.0.0.1")
        port = options["port"] or os.environ.get("CAREBOND_WEB_PORT", "8000")
        argv += ["--bind", f"{host}:{port}"]
    for option in ("workers", "threads"):
        if options[option] is not None:
            if options[option] < 1:
                raise CommandError(f"--{option} must be at least 1, got {options[option]}.")
            argv += [f"--{option}", str(options[option])]
    return [*argv, "config.wsgi:application"]
