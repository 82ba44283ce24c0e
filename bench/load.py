"""Load test and fault drill of production's shape on this machine: `carebond serve --production`
(gunicorn, two web processes with threads, Django's connection pool) and two `carebond worker`
processes on one PostgreSQL, a real SMTP server and the local text provider, all on 127.0.0.1.

    python bench/load.py [--seed 1] [--size medium] [--users 12] [--seconds 150] [--warmup 15]
                         [--drill-seconds 120] [--phases load,faults]

The organisation is seeded first (bench/load_seed.py: the demo's, deterministic by seed), then:

- load: locust users (bench/load_users.py, a process of its own) run the mixed workload for
  warm-up + seconds; requests/s and p50/p95/p99 per kind over the measured seconds, the errors,
  and the CPU each part of the machine used; bench/results/postgresql-load.json.
- faults (bench/load_drill.py): the same workload while a web worker, the web master, a task
  worker and the PostgreSQL postmaster are killed with SIGKILL and brought back as an operator
  (or systemd) would; then every acknowledged write is looked for, duplicates are counted, the
  audit chain is verified and the queued messages are counted at the providers;
  bench/results/postgresql-faults.json.

PostgreSQL is a cluster of its own (tools/postgres_cluster.py), durable as production's: the
drill kills it, and a write acknowledged before must still be there after.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, percentile, results_path, write_json

sys.path.insert(0, str(ROOT))
from tools.postgres_cluster import Cluster, durable_cluster
from tools.with_postgres import free_port

WEB_WORKERS = 2
SECRET_KEY = "load-" + secrets.token_urlsafe(40)
FIELD_KEY_SEED = "carebond-load-test"  # synthetic data only
TASK_WORKERS = 2
THREADS = 8
# Published throughput of FHIR servers, per core of the servers that answered. The workloads
# differ from this one (see docs/benchmarks.md); the figures are quoted as their sources give
# them.
PUBLISHED = [
    {
        "server": "Medplum",
        "source": "https://www.medplum.com/blog/medplum-performance-test-2026",
        "measured": "its own test, scenario 4: authenticated FHIR read, write and search (k6), "
        "average 167 ms; 15 server instances of 4 vCPU, PostgreSQL (16 vCPU) and Redis "
        "(8 vCPU) apart",
        "requests_per_second": 6738.33,
        "cores": 60,
    },
    {
        "server": "HAPI FHIR",
        "source": "https://www.health-samurai.io/articles/performance-at-scale-baseline",
        "quoted": "https://aftermontaigne.org/medical-form-builder/"
        "open-source-benchmark-now-compares-4-fhir-servers-side-by-side/",
        "measured": "Health Samurai's benchmark (vendor-run, open harness), CRUD: create, read, "
        "update and delete of nine resource types (k6) after 1,000 Synthea patients were "
        "loaded; the server in 8 vCPU, PostgreSQL apart; run of 2026-06-29",
        "requests_per_second": 3058,
        "cores": 8,
    },
    {
        "server": "Medplum",
        "source": "https://www.health-samurai.io/articles/performance-at-scale-baseline",
        "quoted": "https://aftermontaigne.org/medical-form-builder/"
        "open-source-benchmark-now-compares-4-fhir-servers-side-by-side/",
        "measured": "the same benchmark and CRUD workload; Medplum as 8 replicas of 2 vCPU, as "
        "the harness's own infrastructure page gives them "
        "(https://healthsamurai.github.io/fhir-server-performance-benchmark/infrastructure/)",
        "requests_per_second": 1420,
        "cores": 16,
    },
]


def get(url: str, timeout: float = 5.0) -> int:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (loopback)
            return int(answer.status)
    except HTTPError as error:
        return error.code
    except (URLError, OSError):
        return 0


@dataclass
class Deployment:
    """The production processes, started and restarted as systemd would (Restart=always)."""

    env: dict[str, str]
    port: int
    folder: Path
    server: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, *command: str, log: str) -> subprocess.Popen[bytes]:
        output = open(self.folder / log, "ab")  # noqa: SIM115 (closed in stop)
        self.logs.append(output)
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "carebond.cli", *command],
            env=self.env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def start_server(self) -> None:
        self.server = self._start("serve", "--production", "--port", str(self.port), log="web.log")

    def start_worker(self, slot: int | None = None) -> None:
        worker = self._start("worker", "--poll", "0.5", log="workers.log")
        if slot is None:
            self.workers.append(worker)
        else:
            self.workers[slot] = worker

    def start(self) -> float:
        self.start_server()
        for _ in range(TASK_WORKERS):
            self.start_worker()
        return self.wait_ready()

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Seconds until /readyz answers 200 (the load balancer's signal to send traffic)."""
        started = time.monotonic()
        while get(f"{self.base}/readyz") != 200:
            assert self.server is not None
            if self.server.poll() is not None:
                raise RuntimeError(f"the web server exited: see {self.folder / 'web.log'}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"the web server never became ready: {self.folder}")
            time.sleep(0.1)
        return time.monotonic() - started

    def web_workers(self) -> list[int]:
        assert self.server is not None
        try:
            return [child.pid for child in psutil.Process(self.server.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        for process in [self.server, *self.workers]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.server, *self.workers]:
            if process is None:
                continue
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for output in self.logs:
            output.close()


def deployment_env(
    cluster: Cluster, folder: Path, port: int, sms_url: str, smtp_port: int
) -> dict[str, str]:
    from carebond.testing.sms_provider import ACCOUNT_SID, AUTH_TOKEN
    from config.env import derived_key

    kept = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CAREBOND_"))}
    return kept | {
        "CAREBOND_ENV": "production",
        "CAREBOND_SECRET_KEY": SECRET_KEY,
        "CAREBOND_FIELD_KEYS": derived_key(FIELD_KEY_SEED),
        "CAREBOND_DATABASE_URL": cluster.url,
        "CAREBOND_ALLOWED_HOSTS": "127.0.0.1",
        # As the proxy in front shows the site (TLS ends there); webhooks are signed for it.
        "CAREBOND_BASE_URL": f"https://127.0.0.1:{port}",
        "CAREBOND_VAR_DIR": str(folder / "var"),
        "CAREBOND_WEB_WORKERS": str(WEB_WORKERS),
        "CAREBOND_WEB_THREADS": str(THREADS),
        "CAREBOND_DB_POOL_MAX": str(THREADS),
        "CAREBOND_EMAIL_HOST": "127.0.0.1",
        "CAREBOND_EMAIL_PORT": str(smtp_port),
        "CAREBOND_SMS_CHANNEL": "sms",
        "CAREBOND_TWILIO_BASE_URL": sms_url,
        "CAREBOND_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CAREBOND_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        # The drill's killed worker leaves claims behind: taken back after 20 s, not 2 minutes.
        "CAREBOND_MESSAGING_CLAIM_SECONDS": "20",
        "CAREBOND_MESSAGING_STALE_SCAN_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
    }


class CpuMeter:
    """CPU seconds each part of the machine used between two readings: the web processes, the
    task workers, PostgreSQL, the load generator, and everything else (other work)."""

    def __init__(self, deployment: Deployment, cluster: Cluster, driver: int) -> None:
        self.deployment, self.cluster, self.driver = deployment, cluster, driver

    @staticmethod
    def _tree(pid: int | None) -> float:
        """A process, its live children, and the children it already reaped."""
        if pid is None:
            return 0.0
        try:
            root = psutil.Process(pid)
            times = root.cpu_times()
            total = times.user + times.system + times.children_user + times.children_system
            for child in root.children(recursive=True):
                try:
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
                except psutil.NoSuchProcess:
                    pass
            return total
        except psutil.NoSuchProcess:
            return 0.0

    def read(self) -> dict[str, float]:
        machine_total = sum(psutil.cpu_times()[:3])  # user, nice, system
        server = self.deployment.server
        parts = {
            "web": self._tree(server.pid if server else None),
            "task_workers": sum(self._tree(w.pid) for w in self.deployment.workers),
            "postgresql": self._tree(self.cluster.postmaster_pid()),
            "load_generator": self._tree(self.driver),
        }
        parts["other"] = machine_total - sum(parts.values())
        parts["machine"] = machine_total
        return parts

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {key: round(after[key] - before[key], 1) for key in before}


def run_driver(
    plan: Path,
    out: Path,
    deployment: Deployment,
    *,
    phase: str,
    first: int,
    users: int,
    seconds: float,
    retry: bool,
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        str(ROOT / "bench" / "load_users.py"),
        *(str(plan), str(out), "--base", deployment.base),
        *("--public-base", deployment.env["CAREBOND_BASE_URL"], "--phase", phase),
        *("--first", str(first), "--users", str(users), "--seconds", str(seconds)),
        *(["--retry"] if retry else []),
    ]
    log = open(deployment.folder / f"driver-{phase}.log", "wb")  # noqa: SIM115
    deployment.logs.append(log)
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def by_kind(requests: list[list[Any]], seconds: float) -> dict[str, dict[str, Any]]:
    """Per request name: count, rate, nearest-rank percentiles of every answer, errors."""
    grouped: dict[str, list[list[Any]]] = defaultdict(list)
    for row in requests:
        grouped[row[1]].append(row)
    table = {}
    for name, rows in sorted(grouped.items()):
        times = [row[2] for row in rows]
        table[name] = {
            "n": len(rows),
            "per_second": round(len(rows) / seconds, 2),
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "p99_ms": round(percentile(times, 99), 1),
            "max_ms": round(max(times), 1),
            "errors": sum(1 for row in rows if not row[3]),
        }
    return table


def load_phase(
    args: argparse.Namespace, plan: Path, deployment: Deployment, cluster: Cluster
) -> dict[str, Any]:
    out = deployment.folder / "load-out.json"
    total = args.warmup + args.seconds
    print(f"load: {args.users} users for {total:.0f} s ({args.warmup:.0f} s warm-up)", flush=True)
    driver = run_driver(
        plan, out, deployment, phase="L", first=0, users=args.users, seconds=total, retry=False
    )
    meter = CpuMeter(deployment, cluster, driver.pid)
    started = time.time()
    time.sleep(args.warmup)
    before, load_before = meter.read(), os.getloadavg()
    time.sleep(args.seconds)
    after, load_after = meter.read(), os.getloadavg()
    if driver.wait(timeout=120) != 0:
        raise RuntimeError(f"the load generator failed: {deployment.folder / 'driver-L.log'}")
    record = json.loads(out.read_text())
    begin = started + args.warmup
    measured = [r for r in record["requests"] if begin <= r[0] < begin + args.seconds]
    kinds = by_kind(measured, args.seconds)
    count = len(measured)
    errors = sum(1 for r in measured if not r[3])
    cores = os.cpu_count() or 1
    cpu = CpuMeter.spent(before, after)
    per_second = count / args.seconds
    return {
        "requests": kinds,
        "total": {
            "n": count,
            "per_second": round(per_second, 1),
            "per_core": round(per_second / cores, 1),
            "errors": errors,
            "errors_all_phases": sum(1 for r in record["requests"] if not r[3]),
        },
        "cpu_seconds": cpu,
        # What the application itself (web processes and task workers) needed per request.
        "app_cpu_ms_per_request": round(1000 * (cpu["web"] + cpu["task_workers"]) / count, 2)
        if count
        else None,
        "acknowledged": record["acknowledged"],
        "load_average": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def seed(env: dict[str, str], plan: Path, args: argparse.Namespace, folder: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "load_seed.py"),
        str(plan),
        *("--seed", str(args.seed), "--size", args.size),
        *("--users", str(2 * args.users), "--invitations", str(args.invitations)),
    ]
    with open(folder / "seed.log", "wb") as log:
        subprocess.run(  # noqa: S603
            command, env=env | {"CAREBOND_ENV": "dev"}, cwd=ROOT, stdout=log, stderr=log, check=True
        )
    with open(folder / "collectstatic.log", "wb") as log:
        subprocess.run(
            [sys.executable, "-m", "carebond.cli", "collectstatic", "--noinput"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
            check=True,
        )


def acknowledged_found(acknowledged: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Each acknowledged write looked for in the database, by kind."""
    from django.db import connections

    from carebond.messaging.models import Message
    from carebond.scheduling.models import Appointment
    from carebond.surveys.distribution_actions import token_digest
    from carebond.surveys.models import Response

    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in acknowledged:
        kinds[row["kind"]].append(row)
    bookings = [row["id"] for row in kinds["booking"]]
    surveys = [token_digest(row["token"]) for row in kinds["survey"]]
    texts = [f"inbound:sms:{row['sid']}" for row in kinds["sms"]]
    found = {
        "booking": Appointment.objects.filter(public_id__in=bookings).count(),
        "survey": Response.objects.filter(
            invitation__token_digest__in=surveys, status="completed"
        ).count(),
        "sms": Message.objects.filter(idempotency_key__in=texts).count(),
    }
    connections.close_all()
    return {
        kind: {"acknowledged": len(kinds[kind]), "found": found[kind]}
        for kind in ("booking", "survey", "sms")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    parser.add_argument("--users", type=int, default=12, help="simulated users at once")
    parser.add_argument("--seconds", type=float, default=150, help="measured seconds of load")
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--drill-seconds", type=float, default=120)
    parser.add_argument("--invitations", type=int, default=800)
    parser.add_argument("--phases", default="load,faults")
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    folder = Path(tempfile.mkdtemp(prefix="carebond-load-"))
    print(f"logs in {folder}", flush=True)
    facts = {"machine": machine(), "load_average_at_start": list(os.getloadavg())}
    with durable_cluster() as cluster:
        port = free_port()
        # The benchmark's own process reads the results with production's settings.
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
        from config.env import derived_key

        os.environ.update(
            {
                "CAREBOND_DATABASE_URL": cluster.url,
                "CAREBOND_SECRET_KEY": SECRET_KEY,
                "CAREBOND_FIELD_KEYS": derived_key(FIELD_KEY_SEED),
                "CAREBOND_ALLOWED_HOSTS": "127.0.0.1",
            }
        )
        from common import setup_django

        setup_django()
        import logging

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: every SMTP command
        from carebond.testing.fixtures import running_smtp_server
        from carebond.testing.sms_provider import running_sms_provider

        with running_sms_provider() as sms, running_smtp_server() as (mailbox, smtp_port):
            env = deployment_env(cluster, folder, port, sms.base_url, smtp_port)
            os.environ.update(env)
            plan = folder / "plan.json"
            print(f"seeding ({args.size}, seed {args.seed})", flush=True)
            seed(env, plan, args, folder)
            deployment = Deployment(env, port, folder)
            try:
                ready = deployment.start()
                print(f"ready after {ready:.1f} s at {deployment.base}", flush=True)
                context = {
                    **facts,
                    "database": cluster_version(cluster),
                    "dataset": json.loads(plan.read_text())["dataset"] | {"seed": args.seed},
                    "setup": {
                        "web_workers": WEB_WORKERS,
                        "threads": THREADS,
                        "pool_max": THREADS,
                        "task_workers": TASK_WORKERS,
                        "users": args.users,
                        "size": args.size,
                        "durable": "fsync, synchronous_commit and full_page_writes on",
                    },
                    "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                }
                if "load" in phases:
                    result = load_phase(args, plan, deployment, cluster)
                    result["writes"] = acknowledged_found(result.pop("acknowledged"))
                    result["setup_seconds"] = {"warmup": args.warmup, "measured": args.seconds}
                    result["published"] = PUBLISHED
                    write_json(results_path("postgresql", "-load"), context | result)
                    print(json.dumps(result["total"]), flush=True)
                if "faults" in phases:
                    from load_drill import drill

                    result = drill(args, plan, deployment, cluster, sms, mailbox)
                    write_json(results_path("postgresql", "-faults"), context | result)
                    print(json.dumps(result["verdict"]), flush=True)
            finally:
                deployment.stop()
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def cluster_version(cluster: Cluster) -> str:
    import psycopg

    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


if __name__ == "__main__":
    main()
