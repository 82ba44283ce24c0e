"""Production's shape on one PostgreSQL: `carebond serve --production` (gunicorn, two worker
processes with threads, Django's connection pool) and two `carebond worker` processes, all at
once. Concurrent API reads write audit events from four processes' threads, queued tasks are
taken by whichever worker is free: every request answers, every task runs exactly once, and
the audit chain stays whole.

Runs in the PostgreSQL suite; SQLite is the single-machine default with one worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

import pytest
from django.db import connection
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from carebond.accounts.actions import do_create_api_token
from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.audit.selectors import verify_chain
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.testing.concurrency import suite_database_url
from config.env import derived_key

ROOT = Path(__file__).resolve().parents[3]
TASKS = 80
REQUESTS = 96


@task()
def note_run(journal: str, number: int) -> None:
    """A queued job whose every run leaves a line (appends of one short line do not mix)."""
    with open(journal, "a") as lines:
        lines.write(f"{number} {os.getpid()}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_env(var_dir: Path) -> dict[str, str]:
    """The suite's own PostgreSQL database and field key; development settings, which queue
    tasks in the database like production's (the test settings run them in-process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return env | {
        "CAREBOND_ENV": "dev",
        "CAREBOND_DATABASE_URL": suite_database_url(),
        "CAREBOND_VAR_DIR": str(var_dir),
        "CAREBOND_FIELD_KEYS": derived_key("carebond-test-suite"),
        "CAREBOND_ALLOWED_HOSTS": "127.0.0.1",
        "CAREBOND_DB_POOL_MAX": "4",
        "PYTHONUNBUFFERED": "1",
    }


def get(url: str, token: str = "") -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http://127.0.0.1)
        with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310
            return int(r.status)
    except HTTPError as error:
        return error.code


def wait_until_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            if get(f"{base}/readyz") == 200:
                return
        except (URLError, ConnectionError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"the application server never became ready:\n{log.read_text()}")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """gunicorn with two workers, and two task workers; stopped with SIGTERM afterwards."""
    env = children_env(tmp_path)
    port = free_port()
    log = tmp_path / "server.log"
    started: list[subprocess.Popen[bytes]] = []
    with open(log, "wb") as output:
        started.append(
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "carebond.cli", "serve", "--production"),
                    *("--allow-non-production", "--port", str(port)),
                    *("--workers", "2", "--threads", "4"),
                ],
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        )
        for _ in range(2):
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "carebond.cli", "worker", "--poll", "0.2"],
                    env=env,
                    cwd=ROOT,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            yield f"http://127.0.0.1:{port}", log, started[0]
        finally:
            for process in started:
                process.terminate()
            for process in started:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.mark.django_db(transaction=True)
def test_two_servers_and_two_workers_on_one_postgresql(
    org_a: Organization,
    users_a: dict[str, User],
    settings: Any,
    tmp_path: Path,
    processes: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("many processes on one PostgreSQL: runs in the PostgreSQL suite")
    base, log, server = processes
    # given patients, a clinician's API token, and tasks queued in the database
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    patients = [make_patient(org_a, f"Pat{n}", "Kim") for n in range(8)]
    _, token = do_create_api_token(users_a[Role.CLINICIAN], name="load", acting_user=None)
    journal = tmp_path / "journal.txt"
    # when the server is ready, and clients read patients from eight threads while the tasks
    # are queued and run
    wait_until_ready(base, server, log)
    events_before = AuditEvent.objects.filter(action="person.read").count()
    urls = [f"{base}/api/v1/people/{patients[n % 8].public_id}" for n in range(REQUESTS)]
    with ThreadPoolExecutor(8) as clients:
        answers = clients.map(lambda url: get(url, token), urls)
        for number in range(TASKS):
            note_run.enqueue(str(journal), number)
        statuses = Counter(answers)
    # then every request was answered, and audited once
    assert statuses == {200: REQUESTS}, log.read_text()[-3000:]
    assert AuditEvent.objects.filter(action="person.read").count() == events_before + REQUESTS
    # and every task ran, exactly once, and succeeded
    deadline = time.monotonic() + 30
    while DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
        assert time.monotonic() < deadline, "the workers did not finish the queued tasks"
        time.sleep(0.2)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    runs = Counter(int(line.split()[0]) for line in journal.read_text().splitlines())
    assert runs == dict.fromkeys(range(TASKS), 1)
    # and the audit chain written by every process at once is whole
    assert verify_chain().intact
    # and the server is still ready, and logged no error and no query string (PHI)
    assert get(f"{base}/readyz?name=Maria+Lopez") == 200
    output = log.read_text()
    assert '"GET /readyz HTTP/1.1" 200' in output
    assert "Maria" not in output
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if '"level": "ERROR"' in line]
    assert errors == [], "\n".join(errors)
