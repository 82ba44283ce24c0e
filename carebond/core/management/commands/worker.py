"""carebond worker: run queued tasks and periodic scans until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from carebond.core.scans import registered_scans, run_due_scans

logger = logging.getLogger("carebond.worker")


class Command(BaseCommand):
    help = "Run background tasks and periodic scans until stopped (SIGTERM finishes the task)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--poll",
            type=float,
            default=1.0,
            help="Seconds to wait when there is nothing to do (default 1).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Run due scans and queued tasks once, then exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        self.tasks: Worker | None = None
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        scans = registered_scans()
        worker_id = f"{socket.gethostname()}-{os.getpid()}"
        self.stdout.write(f"Worker {worker_id} started with {len(scans)} scans.")
        self.stdout.flush()
        while self.running:
            close_old_connections()
            run_due_scans(scans)
            self.tasks = Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )
            if self.running:
                self.tasks.run()  # returns once the queue is empty
            if options["once"]:
                break
            self._sleep(options["poll"])
        close_old_connections()
        self.stdout.write(f"Worker {worker_id} stopped cleanly.")

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.running and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        """Finish the task in hand, then leave the loop (a second signal is not needed)."""
        logger.info(
            "Worker received %s; stopping after the current task.", signal.Signals(signum).name
        )
        self.running = False
        if self.tasks is not None:
            self.tasks.running = False
