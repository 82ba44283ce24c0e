"""A throw-away PostgreSQL cluster as durable as a production one (fsync, synchronous commit and
full-page writes on: PostgreSQL's defaults), that a fault drill can crash and bring back the
way an operator would:

    with durable_cluster() as cluster:
        cluster.url                   # postgres://carebond@127.0.0.1:PORT/carebond
        cluster.kill_postmaster()     # kill -9 of the postmaster
        cluster.restart()             # pg_ctl start: crash recovery replays the WAL

tools/with_postgres.py's cluster skips durability for speed (nothing it holds must survive a
crash); here a write acknowledged before the crash must be there after it. Runs as an
unprivileged user when invoked as root, on disk (not /dev/shm, where fsync costs nothing), and is
stopped and deleted on exit.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tools.with_postgres import find_binary, free_port


@dataclass
class Cluster:
    folder: Path
    port: int
    run_as: str | None
    max_connections: int = 100

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    @property
    def url(self) -> str:
        return f"postgres://carebond@127.0.0.1:{self.port}/carebond"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [find_binary("pg_ctl"), "-D", str(self.data), *args],
            capture_output=True,
            text=True,
            check=False,
            user=self.run_as,
        )

    def start(self, timeout: float = 60.0) -> float:
        """pg_ctl start, waiting until the server accepts connections; seconds it took. After
        a crash the backends the dead postmaster left behind still hold its shared memory for a
        moment, and the new postmaster refuses to start until they have gone: try again."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={self.max_connections}"
        )
        started = time.monotonic()
        while True:
            result = self._pg_ctl(
                "-o", options, "-l", str(self.log), "-w", "-t", str(int(timeout)), "start"
            )
            if result.returncode == 0:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
                raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{tail}")
            time.sleep(0.2)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill_postmaster(self) -> int:
        """kill -9 of the postmaster, as a crash or the kernel's OOM killer would; its backends
        notice and exit on their own. Returns the pid killed."""
        pid = self.postmaster_pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def restart(self, timeout: float = 60.0) -> float:
        """What an operator does after a crash: start it again (crash recovery first)."""
        return self.start(timeout)

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "-w", "stop")


def _create_database(port: int) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="carebond", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute("CREATE DATABASE carebond")


@contextmanager
def durable_cluster(max_connections: int = 100) -> Iterator[Cluster]:
    """A running cluster with an empty database "carebond"; stopped and deleted afterwards."""
    run_as = "nobody" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="carebond-durable-pg-"))
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(folder, free_port(), run_as, max_connections)
    try:
        subprocess.run(
            [
                find_binary("initdb"),
                *("-D", str(cluster.data), "-U", "carebond", "--auth=trust"),
                *("-E", "UTF8", "--no-locale"),
            ],
            check=True,
            capture_output=True,
            user=run_as,
        )
        cluster.start()
        _create_database(cluster.port)
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
