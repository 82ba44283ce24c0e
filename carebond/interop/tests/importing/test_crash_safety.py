"""kill -9 an import at random moments, run it again: the result equals one clean import.

Each attempt runs `carebond import-fhir` as a real process against its own database (a copy of a
migrated template: a SQLite file, or a PostgreSQL database made from a template when the suite
runs on PostgreSQL), waits until it has committed a random number of bundles, kills it with
SIGKILL a random moment later, runs the same import again to the end, and compares row counts
with a clean import: no duplicate rows, no half-imported bundle.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from carebond.interop.testing import synthea_subset

ATTEMPTS = 10
TABLES = (
    "people_person",
    "people_identifier",
    "people_contactpoint",
    "people_address",
    "people_referralsourceprofile",
    "people_historyitem",
    "touchpoints_touchpoint",
    "core_location",
    "interop_sourcerecord",
    "interop_sourcekey",
)
SETUP = (
    "import django; django.setup();"
    "from django.core.management import call_command; call_command('migrate', verbosity=0);"
    "from carebond.core.models import Organization;"
    "Organization.objects.create(slug='crash', name='Crash test clinic')"
)
CARE = [sys.executable, "-m", "carebond.cli"]
REPO = Path(__file__).resolve().parents[4]


class Databases:
    """Throw-away databases for child processes, on the engine the suite runs on."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.default = settings.DATABASES["default"]
        self.postgres = self.default["ENGINE"].endswith("postgresql")
        self.made: list[str] = []

    def url(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.folder / name}.sqlite3"
        d = self.default
        return f"postgres://{d['USER']}:{d.get('PASSWORD') or ''}@{d['HOST']}:{d['PORT']}/{name}"

    def connect(self, dbname: str, *, autocommit: bool = False) -> Any:
        """A psycopg connection to a database of the suite's PostgreSQL server."""
        import psycopg

        d = self.default
        return psycopg.connect(
            host=d["HOST"],
            port=d["PORT"],
            user=d["USER"],
            password=d.get("PASSWORD") or None,
            dbname=dbname,
            autocommit=autocommit,
        )

    def admin(self, sql: str) -> None:
        with self.connect("postgres", autocommit=True) as connection:
            connection.execute(sql)

    def create_template(self) -> None:
        if self.postgres:
            self.admin("DROP DATABASE IF EXISTS crash_template")
            self.admin("CREATE DATABASE crash_template")
            self.made.append("crash_template")
        run_child(["-c", SETUP], self.url("crash_template"), python=True)

    def fresh(self, name: str) -> str:
        if self.postgres:
            self.admin(f"DROP DATABASE IF EXISTS {name}")
            self.admin(f"CREATE DATABASE {name} TEMPLATE crash_template")
            self.made.append(name)
        else:
            shutil.copy(self.folder / "crash_template.sqlite3", self.folder / f"{name}.sqlite3")
        return self.url(name)

    def query(self, name: str, sql: str) -> tuple[Any, ...]:
        """One row of a child's database, read directly (no Python process to start)."""
        if self.postgres:
            with self.connect(name) as connection:
                row = connection.execute(sql).fetchone()
        else:
            with closing(sqlite3.connect(self.folder / f"{name}.sqlite3", timeout=5)) as db:
                row = db.execute(sql).fetchone()
        assert row is not None
        return tuple(row)

    def units_committed(self, name: str) -> int:
        """Units the child's import run has committed so far (0 before the run exists)."""
        found = self.query(
            name, "SELECT COALESCE(MAX(bundles_committed), 0) FROM interop_importrun"
        )
        return int(found[0])

    def wait_for_units(self, name: str, units: int, child: Any) -> None:
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            if self.units_committed(name) >= units:
                return
            time.sleep(0.005)

    def counts(self, name: str) -> dict[str, int]:
        # Table names are the constants above, not input.
        each = [f"(SELECT COUNT(*) FROM {table})" for table in TABLES]  # noqa: S608
        each.append("(SELECT COUNT(*) - COUNT(DISTINCT origin_id) FROM people_person)")
        sql = "SELECT " + ", ".join(each)
        found = self.query(name, sql)
        counts = dict(zip(TABLES, map(int, found[:-1]), strict=True))
        counts["duplicate people"] = int(found[-1])
        return counts

    def drop_all(self) -> None:
        for name in self.made:
            self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def child_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {"CAREBOND_ENV": "dev", "CAREBOND_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    return env


def run_child(args: list[str], url: str, *, python: bool = False) -> str:
    command = [sys.executable, *args] if python else [*CARE, *args]
    env = child_env(url)
    if python:
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[Databases]:
    dbs = Databases(tmp_path)
    dbs.create_template()
    yield dbs
    if dbs.postgres:
        dbs.drop_all()


@pytest.mark.django_db(transaction=True)
def test_killing_an_import_at_random_moments_never_leaves_duplicates_or_half_bundles(
    databases: Databases, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    synthea_subset(data, patients=6)  # 8 units: two provider bundles, six patients
    importing = ["import-fhir", str(data), "--quiet", "--source", "urn:crash"]
    run_child(importing, databases.fresh("crash_clean"))
    expected = databases.counts("crash_clean")
    assert expected["duplicate people"] == 0
    assert expected["touchpoints_touchpoint"] > 0
    seed = int(os.environ.get("CAREBOND_CRASH_SEED", "20261122"))
    rng = random.Random(seed)
    interrupted_mid_import = 0
    for attempt in range(ATTEMPTS):
        url = databases.fresh(f"crash_{attempt}")
        child: Any = subprocess.Popen(
            [*CARE, *importing],
            env=child_env(url),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Wait until the import has committed a random number of units (1 to 6: before the
        # first, the process may still be starting Python), then kill it a random moment later:
        # inside a unit's transaction or between two. A patient's unit takes a few tens of
        # milliseconds, so the moment is drawn on that scale.
        databases.wait_for_units(f"crash_{attempt}", rng.randint(1, 6), child)
        time.sleep(rng.uniform(0, 0.03))
        child.send_signal(signal.SIGKILL)
        child.wait()
        left = databases.counts(f"crash_{attempt}")
        assert left["duplicate people"] == 0
        if 0 < left["interop_sourcerecord"] < expected["interop_sourcerecord"]:
            interrupted_mid_import += 1  # some bundles committed, the rest not yet

        run_child(importing, url)

        assert databases.counts(f"crash_{attempt}") == expected, f"attempt {attempt} (seed {seed})"
    assert interrupted_mid_import >= ATTEMPTS // 2  # the kills really landed mid-import
