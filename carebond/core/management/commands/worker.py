"""carebond worker: run queued tasks and periodic scans until SIGTERM/SIGINT."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker

from carebond.core.scans import Scan, registered_scans, run_due_scans

logger = logging.getLogger("carebond.worker")
# Waits after the database failed a turn: 1, 2, 4... seconds, at most this many.
MAX_BACKOFF_SECONDS = 30.0


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
        failures = 0
        while self.running:
            try:
                self._turn(scans, worker_id)
            except (OperationalError, InterfaceError) as error:
                # The database went away (restarted, failed over, out of connections): wait and
                # connect again, as the web processes do, rather than exit. A one-off run says
                # it failed.
                if options["once"]:
                    raise
                failures += 1
                wait = min(MAX_BACKOFF_SECONDS, 2.0 ** (failures - 1))
                logger.warning(
                    "Worker %s: the database failed (%s); trying again in %.0f s",
                    worker_id,
                    type(error).__name__,
                    wait,
                )
                with contextlib.suppress(OperationalError, InterfaceError):
                    connections.close_all()
                self._sleep(wait)
                continue
            if failures:
                logger.info("Worker %s: the database answers again", worker_id)
                failures = 0
            if options["once"]:
                break
            self._sleep(options["poll"])
        with contextlib.suppress(OperationalError, InterfaceError):
            close_old_connections()
        self.stdout.write(f"Worker {worker_id} stopped cleanly.")

    def _turn(self, scans: list[Scan], worker_id: str) -> None:
        """Due scans, then the queued tasks until none is left."""
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
