"""The fault drill (bench/load.py's second phase): the mixed workload runs while parts of the
deployment are killed with SIGKILL, one after another, and brought back as an operator or
systemd (Restart=always, RestartSec=1) would:

1. one gunicorn worker: its master starts another by itself;
2. one `carebond worker` while it sends a batch of queued messages: started again;
3. the gunicorn master: its workers see their parent gone and exit; `carebond serve
   --production` is started again (the port is free once they have gone);
4. the PostgreSQL postmaster while messages are being sent: its backends exit, and `pg_ctl
   start` runs crash recovery (WAL replay) before it accepts connections again.

The clients retry a write that got no answer or an error, as clients and the text provider do:
the same booking, the same survey page, the same text (its MessageSid). Afterwards every write
a client saw acknowledged is looked for, duplicates are counted (two bookings of one time, two
responses to one link, a text stored twice, a queued message delivered twice at the SMTP server
or the text provider), the audit chain is verified, and the queued messages are counted where
they arrive. A process that exits by itself on the way (not one the drill killed) is started
again, as systemd would, and reported.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
from load import TASK_WORKERS, WEB_WORKERS, Deployment, get, run_driver

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import contextlib

from tools.postgres_cluster import Cluster

TAG = "drill"
# Queued messages (half texts, half emails): before the load, just before a task worker is
# killed, and just before the postmaster is: each kill lands while messages are being sent.
BATCHES = (("a", 0.0, 600), ("b", 0.25, 1500), ("c", 0.62, 1500))
RESTART_SECONDS = 1.0  # systemd's RestartSec
STOP_TIMEOUT = 45.0  # the unit's TimeoutStopSec (docs/deployment.md)
OPERATOR_SECONDS = 2.0  # how long the database stays down before the operator starts it
SETTLE_SECONDS = 5.0  # errors this long after a part is back still count as its outage's


class Drill:
    def __init__(
        self,
        args: argparse.Namespace,
        plan: dict[str, Any],
        deployment: Deployment,
        cluster: Cluster,
    ) -> None:
        self.args, self.plan, self.deployment, self.cluster = args, plan, deployment, cluster
        self.started = time.time()
        self.faults: list[dict[str, Any]] = []
        self.batches: list[dict[str, Any]] = []
        self.unplanned: list[dict[str, Any]] = []
        self.killed: set[int] = set()

    # --- supervision, as systemd would ------------------------------------------------------

    def supervise(self) -> None:
        """Start again any task worker or web server that exited without being killed here."""
        for slot, worker in enumerate(self.deployment.workers):
            code = worker.poll()
            if code is not None and worker.pid not in self.killed:
                self.unplanned.append(
                    {"process": "carebond worker", "exit_code": code, "at_s": self.now()}
                )
                self.killed.add(worker.pid)
                time.sleep(RESTART_SECONDS)
                self.deployment.start_worker(slot)
        server = self.deployment.server
        if server is not None and server.poll() is not None and server.pid not in self.killed:
            self.unplanned.append(
                {"process": "carebond serve", "exit_code": server.returncode, "at_s": self.now()}
            )
            self.killed.add(server.pid)
            time.sleep(RESTART_SECONDS)
            self.deployment.start_server()

    def now(self) -> float:
        return round(time.time() - self.started, 1)

    def wait_until(self, fraction: float) -> None:
        moment = self.started + fraction * self.args.drill_seconds
        while time.time() < moment:
            self.supervise()
            time.sleep(0.2)

    # --- the faults --------------------------------------------------------------------------

    def queue(self, name: str, count: int) -> None:
        from django.db import connections

        from carebond.core.models import Organization
        from carebond.people.models import Person
        from carebond.testing.outbox import queue_many

        drill = self.plan["drill"]
        people = list(
            Person.objects.filter(pk__in=drill["people"])
            .prefetch_related("contact_points")
            .order_by("pk")
        )
        queue_many(
            Organization.objects.get(pk=drill["organization"]),
            people,
            count,
            tag=f"{TAG}-{name}",
            purpose="care",
            text_from=drill["text_from"],
            email_from=drill["email_from"],
        )
        connections.close_all()  # nothing of this process stays connected through the faults
        self.batches.append({"batch": name, "messages": count, "at_s": self.now()})

    def kill_web_worker(self) -> None:
        before = self.deployment.web_workers()
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        at = time.time()
        while True:
            now = self.deployment.web_workers()
            if len(now) == WEB_WORKERS and set(now) - set(before):
                break
            time.sleep(0.05)
        self.faults.append(
            {
                "fault": "kill -9 of one gunicorn worker",
                "at_s": round(at - self.started, 1),
                "recovery": "gunicorn's master started a new worker by itself",
                "back_after_s": round(time.time() - at, 2),
                "restarted_by": "gunicorn",
            }
        )

    def kill_task_worker(self) -> None:
        victim = self.deployment.workers[0]
        self.killed.add(victim.pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        at = time.time()
        time.sleep(RESTART_SECONDS)
        self.deployment.start_worker(0)
        self.faults.append(
            {
                "fault": "kill -9 of one carebond worker (sending queued messages)",
                "at_s": round(at - self.started, 1),
                "recovery": "started again (systemd); its claims taken back by the stale-send "
                "scan after CAREBOND_MESSAGING_CLAIM_SECONDS",
                "back_after_s": round(time.time() - at, 2),
                "restarted_by": "supervisor",
            }
        )

    def kill_web_master(self) -> None:
        """As systemd (KillMode=control-group, Restart=always) handles a dead main process: the
        unit's other processes, the orphaned workers, get SIGTERM (they finish the requests in
        hand, up to CAREBOND_WEB_GRACEFUL_TIMEOUT, and close the port), SIGKILL after
        TimeoutStopSec; then the server is started again, and again until it can bind."""
        master = self.deployment.server
        assert master is not None
        orphans = self.deployment.web_workers()
        self.killed.add(master.pid)
        master.send_signal(signal.SIGKILL)
        master.wait()
        at = time.time()
        for pid in orphans:
            _signal(pid, signal.SIGTERM)
        while any(_alive(pid) for pid in orphans) and time.time() - at < STOP_TIMEOUT:
            time.sleep(0.1)
        for pid in orphans:
            _signal(pid, signal.SIGKILL)
        orphans_gone = time.time() - at
        starts = 0
        while True:
            starts += 1
            self.deployment.start_server()
            try:
                self.deployment.wait_ready()
                break
            except RuntimeError:
                time.sleep(RESTART_SECONDS)
        self.faults.append(
            {
                "fault": "kill -9 of the gunicorn master",
                "at_s": round(at - self.started, 1),
                "recovery": "its workers finished the requests in hand and exited (SIGTERM, "
                f"as systemd sends: {orphans_gone:.1f} s); carebond serve --production started "
                "again and answered /readyz",
                "back_after_s": round(time.time() - at, 2),
                "orphans_gone_after_s": round(orphans_gone, 2),
                "server_starts": starts,
                "restarted_by": "supervisor",
            }
        )

    def kill_postmaster(self) -> None:
        pid = self.cluster.kill_postmaster()
        at = time.time()
        time.sleep(OPERATOR_SECONDS)
        recovery = self.cluster.restart()
        while get(f"{self.deployment.base}/readyz") != 200:
            time.sleep(0.1)
        self.faults.append(
            {
                "fault": "kill -9 of the PostgreSQL postmaster",
                "at_s": round(at - self.started, 1),
                "pid": pid,
                "recovery": f"pg_ctl start after {OPERATOR_SECONDS:.0f} s (crash recovery: "
                f"{recovery:.1f} s); the application reconnected by itself",
                "back_after_s": round(time.time() - at, 2),
                "restarted_by": "operator",
            }
        )

    # --- the run ------------------------------------------------------------------------------

    def run(self, plan_path: Path) -> dict[str, Any]:
        self.queue(*BATCHES[0][::2])
        out = self.deployment.folder / "drill-out.json"
        seconds = self.args.drill_seconds
        print(f"faults: {self.args.users} users for {seconds:.0f} s", flush=True)
        driver = run_driver(
            plan_path,
            out,
            self.deployment,
            phase="F",
            first=self.args.users,
            users=self.args.users,
            seconds=seconds,
            retry=True,
        )
        self.started = time.time()
        steps = [
            (0.12, self.kill_web_worker),
            (BATCHES[1][1], lambda: self.queue(*BATCHES[1][::2])),
            (0.27, self.kill_task_worker),
            (0.45, self.kill_web_master),
            (BATCHES[2][1], lambda: self.queue(*BATCHES[2][::2])),
            (0.64, self.kill_postmaster),
        ]
        for fraction, step in steps:
            self.wait_until(fraction)
            done = len(self.faults)
            step()
            if len(self.faults) > done:
                fault = self.faults[-1]
                print(
                    f"  {fault['at_s']:6.1f} s  {fault['fault']}: back after "
                    f"{fault['back_after_s']} s",
                    flush=True,
                )
        while driver.poll() is None:
            self.supervise()
            time.sleep(0.2)
        if driver.returncode != 0:
            raise RuntimeError(f"the load generator failed: {self.deployment.folder}")
        drained = self.drain()
        record = json.loads(out.read_text())
        return {
            "record": record,
            "drained_after_s": drained,
        }

    def drain(self, timeout: float = 180.0) -> float | None:
        """Seconds until no drill message is queued or being sent (None: not in time)."""
        from django.db import connections

        from carebond.messaging.models import Message

        started = time.time()
        while time.time() - started < timeout:
            self.supervise()
            pending = Message.objects.filter(
                idempotency_key__startswith=f"{TAG}-", status__in=("queued", "sending")
            ).count()
            connections.close_all()
            if not pending:
                return round(time.time() - started, 1)
            time.sleep(1)
        return None


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def verify_writes(record: dict[str, Any], since: float) -> dict[str, dict[str, int]]:
    """Acknowledged writes found, duplicates, and writes made but never acknowledged."""
    from datetime import UTC, datetime

    from django.db import connections

    from carebond.messaging.models import Message
    from carebond.scheduling.models import Appointment
    from carebond.surveys.distribution_actions import token_digest
    from carebond.surveys.models import Response

    acked: dict[str, set[str]] = {"booking": set(), "survey": set(), "sms": set()}
    for row in record["acknowledged"]:
        acked[row["kind"]].add(row.get("id") or row.get("token") or row["sid"])
    attempted: dict[str, list[dict[str, Any]]] = {"booking": [], "survey": [], "sms": []}
    for row in record["attempted"]:
        attempted[row["kind"]].append(row)

    # Bookings: every appointment the API booked during the drill.
    booked = list(
        Appointment.objects.filter(
            booked_via="api", booked_at__gte=datetime.fromtimestamp(since, tz=UTC)
        ).values_list("public_id", "patient__public_id", "provider__public_id", "starts_at")
    )
    ids = {str(row[0]) for row in booked}
    # A second appointment of one provider, or of one patient, at the same time.
    firsts: dict[tuple[Any, ...], str] = {}
    extra = set()
    for public_id, patient, provider, starts_at in booked:
        for key in (("provider", provider, starts_at), ("patient", patient, starts_at)):
            if firsts.setdefault(key, str(public_id)) != str(public_id):
                extra.add(str(public_id))
    bookings = {
        "acknowledged": len(acked["booking"]),
        "found": len(acked["booking"] & ids),
        "duplicates": len(extra),
        "written_not_acknowledged": len(ids - acked["booking"]),
    }

    # Surveys: one completed response per link at most (the database allows no second).
    digests = {token_digest(row["token"]): row["token"] for row in attempted["survey"]}
    completed = list(
        Response.objects.filter(
            invitation__token_digest__in=list(digests), status="completed"
        ).values_list("invitation__token_digest", flat=True)
    )
    answered = {digests[d] for d in completed}
    surveys = {
        "acknowledged": len(acked["survey"]),
        "found": len(acked["survey"] & answered),
        "duplicates": len(completed) - len(set(completed)),
        "written_not_acknowledged": len(answered - acked["survey"]),
    }

    # Inbound texts: stored once per MessageSid, however often the provider retried.
    keys = [f"inbound:sms:{row['sid']}" for row in attempted["sms"]]
    stored = Counter(
        key.removeprefix("inbound:sms:")
        for key in Message.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    by_provider = Counter(
        Message.objects.filter(idempotency_key__in=keys).values_list("provider_id", flat=True)
    )
    texts = {
        "acknowledged": len(acked["sms"]),
        "found": len(acked["sms"] & set(stored)),
        "duplicates": sum(n - 1 for n in by_provider.values() if n > 1),
        "written_not_acknowledged": len(set(stored) - acked["sms"]),
    }
    connections.close_all()
    return {"booking": bookings, "survey": surveys, "sms": texts}


def verify_messages(sms: Any, mailbox: Any) -> dict[str, Any]:
    """The drill's queued messages: their states, and what the providers received."""
    from django.db import connections

    from carebond.messaging.models import Message

    rows = list(
        Message.objects.filter(idempotency_key__startswith=f"{TAG}-").values_list("body", "status")
    )
    connections.close_all()
    states = Counter(status for _, status in rows)
    with sms.lock:
        texts = Counter(m["body"] for m in sms.accepted if m["body"].startswith(f"{TAG}-"))
    emails = Counter(
        str(m["Subject"]) for m in list(mailbox.messages) if str(m["Subject"]).startswith(TAG)
    )
    delivered = texts + emails
    sent = {body for body, status in rows if status == "sent"}
    return {
        "queued": len(rows),
        "states": dict(sorted(states.items())),
        "delivered": len(delivered),
        "delivered_twice": sum(1 for n in delivered.values() if n > 1),
        "sent_not_delivered": len(sent - set(delivered)),
        "delivered_not_marked_sent": len(set(delivered) - sent),
    }


def errors_by_fault(requests: list[list[Any]], faults: list[dict[str, Any]], started: float) -> int:
    """Adds to each fault the client errors seen from it until it was back (and a little);
    returns the errors seen outside every outage."""
    failed = [row[0] - started for row in requests if not row[3]]
    claimed: set[int] = set()
    for fault in faults:
        end = fault["at_s"] + fault["back_after_s"] + SETTLE_SECONDS
        mine = [i for i, t in enumerate(failed) if fault["at_s"] - 0.5 <= t <= end]
        fault["client_errors"] = len(mine)
        claimed.update(mine)
    return len(failed) - len(claimed)


def audit_verify(deployment: Deployment) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "carebond.cli", "audit", "verify"],
        env=deployment.env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return {"exit_code": result.returncode, "said": lines[-1] if lines else result.stderr[-300:]}


def drill(
    args: argparse.Namespace,
    plan_path: Path,
    deployment: Deployment,
    cluster: Cluster,
    sms: Any,
    mailbox: Any,
) -> dict[str, Any]:
    load_before = os.getloadavg()
    runner = Drill(args, json.loads(plan_path.read_text()), deployment, cluster)
    outcome = runner.run(plan_path)
    record = outcome["record"]
    requests = record["requests"]
    outside = errors_by_fault(requests, runner.faults, runner.started)
    writes = verify_writes(record, runner.started)
    messages = verify_messages(sms, mailbox)
    audit = audit_verify(deployment)
    found_all = all(w["found"] == w["acknowledged"] for w in writes.values())
    duplicates = sum(w["duplicates"] for w in writes.values()) + messages["delivered_twice"]
    settled = outcome["drained_after_s"] is not None
    verdict = {
        "acknowledged_writes_found": found_all,
        "duplicates": duplicates,
        "audit_chain_intact": audit["exit_code"] == 0,
        "queued_messages_settled": settled,
        "passed": found_all and duplicates == 0 and audit["exit_code"] == 0 and settled,
    }
    return {
        "seconds": args.drill_seconds,
        "users": args.users,
        "faults": runner.faults,
        "batches": runner.batches,
        "restarts": {
            "web_worker_by_gunicorn": 1,
            "web_server": 1,
            "task_worker": 1,
            "postgresql": 1,
            "unplanned_exits": runner.unplanned,
            "task_workers": TASK_WORKERS,
        },
        "requests": {
            "n": len(requests),
            "errors": sum(1 for row in requests if not row[3]),
            "errors_outside_outages": outside,
            "writes_given_up": len(record["gave_up"]),
        },
        "writes": writes,
        "messages": messages | {"drained_after_s": outcome["drained_after_s"]},
        "audit": audit,
        "verdict": verdict,
        "load_average": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
