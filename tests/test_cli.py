"""The `carebond` command as an operator uses it: real processes against a throw-away database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from carebond.core.registry import scans

ROOT = Path(__file__).resolve().parent.parent
CAREBOND = [sys.executable, "-m", "carebond.cli"]


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CAREBOND, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


# Every command here runs on a SQLite file of its own (cli_env), so the suite's database does
# not change what they do: they run once.
pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated SQLite file of its own, so these processes never touch the test database."""
    folder = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "CAREBOND_ENV": "dev",
        "CAREBOND_VAR_DIR": str(folder),
        "CAREBOND_DATABASE_URL": f"sqlite:///{folder / 'cli.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = run("migrate", "--verbosity", "0", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_help_lists_every_subcommand_with_one_line() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo", "worker", "createuser", "token", "audit", "check"):
        assert any(line.strip().startswith(command + " ") for line in result.stdout.splitlines())


def test_createuser_then_token_create_prints_the_token_last(cli_env: dict[str, str]) -> None:
    created = run(
        "createuser",
        "ops-admin",
        "--role",
        "admin",
        "--organization",
        "cli-org",
        "--organization-name",
        "CLI Test Clinic",
        "--time-zone",
        "Europe/London",
        "--password-stdin",
        env=cli_env,
        stdin="plum-harbor-lantern-7\n",
    )
    assert created.returncode == 0, created.stderr
    token = run("token", "create", "ops-admin", env=cli_env)
    assert token.returncode == 0, token.stderr
    last_line = token.stdout.strip().splitlines()[-1]
    assert last_line.startswith("cb_")
    assert " " not in last_line


def test_createuser_refuses_a_bad_role_and_a_weak_password(cli_env: dict[str, str]) -> None:
    bad_role = run("createuser", "x", "--role", "superhero", env=cli_env)
    assert bad_role.returncode != 0
    assert "invalid choice" in bad_role.stderr
    weak = run(
        "createuser",
        "weak-user",
        "--role",
        "analyst",
        "--organization-name",
        "Weak Org",
        "--password-stdin",
        env=cli_env,
        stdin="password\n",
    )
    assert weak.returncode != 0
    assert "too short" in weak.stderr or "too common" in weak.stderr
    assert "Traceback" not in weak.stderr


def test_demo_refuses_production_settings() -> None:
    result = run("demo", "--no-serve", env=production_env())
    assert result.returncode != 0
    assert "never runs with production settings" in result.stderr


def test_token_create_for_unknown_user_is_a_clear_error(cli_env: dict[str, str]) -> None:
    result = run("token", "create", "nobody-here", env=cli_env)
    assert result.returncode != 0
    assert "No user named 'nobody-here'" in result.stderr


def test_audit_verify_exits_0_on_an_intact_chain(cli_env: dict[str, str]) -> None:
    result = run("audit", "verify", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "Audit chain intact" in result.stdout


def test_audit_verify_exits_1_naming_an_edited_event(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    # given a demo database whose third audit row is edited directly in SQLite
    import sqlite3

    env = {**cli_env, "CAREBOND_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    assert run("demo", "--seed", "7", "--no-serve", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        public_id = db.execute("SELECT public_id FROM audit_auditevent WHERE id = 3").fetchone()[0]
        db.execute("UPDATE audit_auditevent SET action = 'user.created' WHERE id = 3")
    # when
    result = run("audit", "verify", env=env)
    # then
    assert result.returncode == 1
    assert "event 3 (" in result.stderr
    assert str(public_id).replace("-", "")[:8] in result.stderr.replace("-", "")


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CAREBOND_ENV": "production",
        "CAREBOND_SECRET_KEY": "k" * 20 + "-production-secret-key-for-the-check-0123456789",
        "CAREBOND_ALLOWED_HOSTS": "carebond.example.org",
        "CAREBOND_BASE_URL": "https://carebond.example.org",
        "CAREBOND_FIELD_KEYS": "iIa2qTK7mI6r9Qd8C6u3D1zJ1Zk9bQyQ2q1qkR4sE0c=",
        **overrides,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["CAREBOND_SECRET_KEY", "CAREBOND_FIELD_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing: str) -> None:
    env = production_env()
    env.pop(missing)
    result = run("check", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("Configuration error: Set ")
    assert missing in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_runs_until_sigterm_and_stops_cleanly(cli_env: dict[str, str]) -> None:
    # given a running worker
    worker = subprocess.Popen(
        [*CAREBOND, "worker", "--poll", "0.2"],
        cwd=ROOT,
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        started = worker.stdout.readline()
        assert f"started with {len(scans())} scans" in started
        time.sleep(1.0)
        assert worker.poll() is None  # still looping
        # when
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    # then
    assert worker.returncode == 0, err
    assert "stopped cleanly" in out
    # and with nothing to do, it said nothing while it looped (about five polls)
    assert "Starting worker" not in out + err
    assert "No more tasks" not in out + err


# The demo builds and serves on its own database, SQLite, whatever the suite runs on: once.
@pytest.mark.demo
@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_the_demo_serves_with_a_worker_and_stopping_it_stops_both(
    cli_env: dict[str, str], tmp_path: Path, stop: str
) -> None:
    # given a demo started as `make demo` starts it, on a free port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # its own var/ too: a demo before it left its own audit checkpoints (and texts) there
    env = {
        **cli_env,
        "CAREBOND_VAR_DIR": str(tmp_path),
        "CAREBOND_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    demo = subprocess.Popen(
        [*CAREBOND, "demo", "--seed", "3", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # as a shell's background job starts it: Ctrl+C ignored unless the demo listens for it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    seen: list[str] = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not any("Worker " in line for line in seen):
            line = demo.stdout.readline()
            if not line:
                break
            seen.append(line)
        # then the worker that FHIR uploads and exports need is running beside the server
        assert any("started with" in line for line in seen), "".join(seen[-20:])
        # (deadlines, not counts: on a loaded machine the server may take a while to answer)
        answer_by = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=30
                ) as page:
                    assert page.status == 200
                    break
            except OSError:
                if time.monotonic() > answer_by:
                    pytest.fail("the demo server never answered")
                time.sleep(0.2)
        # when Ctrl+C reaches the foreground process group, or SIGTERM the demo process alone
        if stop == "ctrl-c":
            os.killpg(demo.pid, signal.SIGINT)
        else:
            demo.send_signal(signal.SIGTERM)
        out, _ = demo.communicate(timeout=180)
        # then the worker stopped cleanly and nothing is left running
        assert "stopped cleanly" in out
        gone_by = time.monotonic() + 30
        while _processes_in_group(demo.pid) and time.monotonic() < gone_by:
            time.sleep(0.2)  # children reaped a moment after the parent returns
        assert _processes_in_group(demo.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(demo.pid, signal.SIGKILL)  # whatever a failed run left behind


def _processes_in_group(group: int) -> list[int]:
    """Live processes of a process group, read from /proc (field 5 of stat is the group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(entry.name))
    return found
