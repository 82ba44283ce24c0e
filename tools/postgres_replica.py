"""A throw-away PostgreSQL primary and a streaming replica of it on this machine, for the tests
of reading analytics from a replica (docs/deployment.md, "Read replica"):

    with streaming_pair() as pair:
        pair.primary_url, pair.replica_url  # postgres://carebond@127.0.0.1:PORT/carebond
        pair.pause_replay()                 # the replica falls behind
        pair.stop_replica()                 # the replica is gone

The primary is initdb'd with wal_level=replica and a replication line in pg_hba.conf; the replica
is a pg_basebackup -R of it (a standby that streams from the primary) on another port. Both run
as an unprivileged user when invoked as root, like tools/with_postgres.py, and are stopped and
deleted on exit.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tools.with_postgres import find_binary, free_port

# A test cluster: nothing it holds must survive a crash, so skip what makes writes durable.
_INITDB = ("-E", "UTF8", "--no-locale", "--no-sync")
_COPY = ("--checkpoint=fast", "--no-sync")
_FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40"


@dataclass
class StreamingPair:
    folder: Path
    primary_port: int
    replica_port: int
    run_as: str | None

    @property
    def primary_url(self) -> str:
        return f"postgres://carebond@127.0.0.1:{self.primary_port}/carebond"

    @property
    def replica_url(self) -> str:
        return f"postgres://carebond@127.0.0.1:{self.replica_port}/carebond"

    def primary_lsn(self) -> str:
        return str(self._one(self.primary_port, "SELECT pg_current_wal_lsn()::text"))

    def wait_for_replay(self, timeout: float = 30.0) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = self.primary_lsn()
        deadline = time.monotonic() + timeout
        while not self._one(
            self.replica_port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"The replica did not replay up to {target} in {timeout}s.")
            time.sleep(0.05)

    def pause_replay(self) -> None:
        """The replica keeps receiving the primary's WAL but applies none of it."""
        self._one(self.replica_port, "SELECT pg_wal_replay_pause()")
        while self._one(self.replica_port, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            time.sleep(0.05)

    def stop_replica(self) -> None:
        self._pg_ctl(self.folder / "replica", "stop", "-m", "fast")

    def _one(self, port: int, sql: str, params: list[object] | None = None) -> object:
        with psycopg.connect(
            host="127.0.0.1", port=port, user="carebond", dbname="postgres", autocommit=True
        ) as connection:
            cursor = connection.execute(sql, params)
            row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None

    def _pg_ctl(self, data: Path, *args: str) -> None:
        subprocess.run(
            [find_binary("pg_ctl"), "-D", str(data), "-w", *args],
            check=True,
            capture_output=True,
            user=self.run_as,
        )

    def start(self, data: Path, port: int) -> None:
        options = f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 {_FAST}"
        log = self.folder / f"{data.name}.log"
        self._pg_ctl(data, "-o", options, "-l", str(log), "-t", "60", "start")


def _scratch() -> str | None:
    """Memory when there is room (/dev/shm): two migrated clusters are thousands of files,
    which take seconds to write and to delete on a disk."""
    shm = Path("/dev/shm")  # noqa: S108  (mkdtemp makes a private folder in it)
    if shm.is_dir() and shutil.disk_usage(shm).free > 2 * 1024**3:
        return str(shm)
    return None  # the usual temporary folder


@contextmanager
def streaming_pair() -> Iterator[StreamingPair]:
    """A primary with a database "carebond" and a replica streaming from it, both running."""
    run_as = "nobody" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="carebond-replica-", dir=_scratch()))
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    pair = StreamingPair(folder, free_port(), free_port(), run_as)
    primary, replica = folder / "primary", folder / "replica"
    try:
        subprocess.run(
            [find_binary("initdb"), "-D", str(primary), "-U", "carebond", "--auth=trust", *_INITDB],
            check=True,
            capture_output=True,
            user=run_as,
        )
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\n")
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication carebond 127.0.0.1/32 trust\n")
        pair.start(primary, pair.primary_port)
        pair._one(pair.primary_port, "CREATE DATABASE carebond")
        # -R writes standby.signal and primary_conninfo: the copy starts as a streaming standby.
        source = ("-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "carebond")
        subprocess.run(
            [
                find_binary("pg_basebackup"),
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
                *_COPY,
                *source,
            ],
            check=True,
            capture_output=True,
            user=run_as,
        )
        pair.start(replica, pair.replica_port)
        yield pair
    finally:
        for data in (replica, primary):
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    [find_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                    capture_output=True,
                    check=False,
                    user=run_as,
                )
        shutil.rmtree(folder, ignore_errors=True)
