"""Run a command against a throw-away PostgreSQL cluster, then always stop and delete it.

    python tools/with_postgres.py -- pytest -q

Starts initdb + pg_ctl on a free loopback port under a temporary folder (as an unprivileged
user when invoked as root), exports CAREBOND_DATABASE_URL for the command, and tears down on
exit, on failure and on SIGINT/SIGTERM.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType


def find_binary(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = shutil.which(name) or (candidates[0] if candidates else None)
    if not found:
        sys.exit(f"{name} not found: install PostgreSQL 15 (Debian: apt-get install postgresql).")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    if "--" not in sys.argv:
        sys.exit("usage: with_postgres.py -- COMMAND [ARGS...]")
    command = sys.argv[sys.argv.index("--") + 1 :]
    initdb, pg_ctl, postgres = find_binary("initdb"), find_binary("pg_ctl"), find_binary("postgres")
    run_as = "nobody" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="carebond-pg-"))
    data, sockets, log = folder / "data", folder / "sockets", folder / "server.log"
    sockets.mkdir()
    if run_as:
        entry = pwd.getpwnam(run_as)
        for path in (folder, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    started = False

    def stop(*_: object) -> None:
        nonlocal started
        if started:
            subprocess.run(
                [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                check=False,
                user=run_as,
            )
            started = False
        shutil.rmtree(folder, ignore_errors=True)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        subprocess.run(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                "carebond",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=run_as,
        )
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        subprocess.run(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
            user=run_as,
        )
        started = True
        version = subprocess.run(
            [postgres, "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        url = f"postgres://carebond@127.0.0.1:{port}/carebond"
        _create_database(port, sockets)
        print(
            f"== Running on a throw-away PostgreSQL cluster: {version} at 127.0.0.1:{port}",
            flush=True,
        )
        env = {**os.environ, "CAREBOND_DATABASE_URL": url}
        started_at = time.monotonic()
        result = subprocess.run(command, env=env, check=False)
        print(
            f"== PostgreSQL run finished in {time.monotonic() - started_at:.0f}s "
            f"(exit {result.returncode}) on {version}",
            flush=True,
        )
        return result.returncode
    except subprocess.CalledProcessError as error:
        output = (
            (error.stderr or b"").decode(errors="replace")
            if isinstance(error.stderr, bytes)
            else str(error.stderr)
        )
        print(f"PostgreSQL could not start: {output}", file=sys.stderr)
        if log.exists():
            print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
        return 1
    finally:
        stop()


def _create_database(port: int, sockets: Path) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user="carebond", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute("CREATE DATABASE carebond")


if __name__ == "__main__":
    sys.exit(main())
