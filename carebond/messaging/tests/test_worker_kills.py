"""Three `carebond worker` processes against one PostgreSQL deliver 10,000 queued messages to a
real SMTP server and the local text provider while one of them is killed with SIGKILL every few
seconds (and started again): nothing is lost, and nothing reaches a provider twice.

Runs in the PostgreSQL suite (`make test` runs both); the SQLite suite skips it, as SQLite is
the single-machine default with one worker. CAREBOND_KILL_MESSAGES changes the count.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Q

from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.messaging.actions import check_add_sender
from carebond.messaging.models import Message, MessageStatus
from carebond.people.actions import check_record_consent
from carebond.people.tests.factories import make_patient
from carebond.testing.concurrency import suite_database_url
from carebond.testing.fixtures import Mailbox
from carebond.testing.outbox import queue_many
from carebond.testing.sms_provider import ACCOUNT_SID, AUTH_TOKEN, SmsProvider
from carebond.touchpoints.models import Touchpoint

MESSAGES = int(os.environ.get("CAREBOND_KILL_MESSAGES", "10000"))
PEOPLE = 50
WORKERS = 3
REPO = Path(__file__).resolve().parents[3]
TEXT_FROM, EMAIL_FROM = "+13125550100", "clinic@alder.example"


def _worker_env() -> dict[str, str]:
    """The children read the suite's own test database, and send to the servers this test
    started; a claim goes stale after 5 s (production: 120 s) and each worker looks for stale
    ones every second. (Shorter claims would test the machine's scheduling instead: on two busy
    cores a live worker or the test's provider can stall for a second or two.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return env | {
        "CAREBOND_ENV": "test",
        "CAREBOND_DATABASE_URL": suite_database_url(),
        "CAREBOND_EMAIL_HOST": "127.0.0.1",
        "CAREBOND_EMAIL_PORT": str(settings.EMAIL_PORT),
        "CAREBOND_SMS_CHANNEL": "sms",
        "CAREBOND_TWILIO_BASE_URL": settings.TWILIO_BASE_URL,
        "CAREBOND_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CAREBOND_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "CAREBOND_MESSAGING_CLAIM_SECONDS": "5",
        "CAREBOND_MESSAGING_STALE_SCAN_SECONDS": "1",
        "CAREBOND_MESSAGING_MAX_ATTEMPTS": "100",
        "PYTHONUNBUFFERED": "1",
    }


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "carebond.cli", "worker", "--poll", "0.2"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.django_db(transaction=True)
def test_three_workers_killed_every_few_seconds_lose_nothing_and_send_nothing_twice(
    org_a: Organization, smtp_server: Mailbox, sms_provider: SmsProvider
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("three workers against one PostgreSQL: runs in the PostgreSQL suite")
    # given 10,000 queued messages to people who agreed to care messages by text and email
    for channel, address in (("sms", TEXT_FROM), ("email", EMAIL_FROM)):
        check_add_sender(
            org_a,
            channel=channel,
            address=address,
            label=channel,
            purposes=["care"],
            per_second=1000,
        )
    people = []
    for n in range(PEOPLE):
        person = make_patient(
            org_a, f"Pat{n}", "Kim", phone=f"+1312555{3000 + n:04d}", email=f"p{n}@example.org"
        )
        for channel in ("sms", "email"):
            check_record_consent(
                person,
                channel=channel,
                purpose="care",
                status="granted",
                method="written",
                acting_user=None,
            )
        people.append(person)
    queue_many(
        org_a,
        people,
        MESSAGES,
        tag="kill",
        purpose="care",
        text_from=TEXT_FROM,
        email_from=EMAIL_FROM,
    )
    # when three workers send them, one killed with SIGKILL every one to three seconds
    env = _worker_env()
    workers = [_start_worker(env) for _ in range(WORKERS)]
    rng = random.Random(20261203)
    started = time.monotonic()
    kills = 0
    deadline = time.monotonic() + 600
    # (left: not yet settled, or sent without its touchpoint and audit event written yet)
    left = Message.objects.filter(
        Q(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING])
        | Q(sent_at__isnull=False, recorded_at__isnull=True)
    )
    try:
        while left.exists() and time.monotonic() < deadline:
            time.sleep(rng.uniform(1.0, 3.0))
            if kills < 15 and left.filter(status=MessageStatus.QUEUED).exists():
                victim = rng.randrange(WORKERS)
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = _start_worker(env)
                kills += 1
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    # then every message has an end: sent, or (an email whose worker died while the mail
    # server had it, which SMTP cannot be asked about) uncertain, for staff
    statuses = Counter(Message.objects.values_list("status", flat=True))
    run = f"{MESSAGES} messages, {kills} kills, {time.monotonic() - started:.0f} s: {statuses}"
    assert kills >= 5, run
    assert set(statuses) <= {MessageStatus.SENT, MessageStatus.UNCERTAIN}, run
    assert sum(statuses.values()) == MESSAGES
    # and no text reached the provider twice, and every text reached it
    texts = Counter(m["body"] for m in sms_provider.accepted)
    assert max(texts.values()) == 1
    # (compared as sets: a failure names the texts missing or unexpected, never their count)
    assert set(texts) == {f"kill message {n}" for n in range(0, MESSAGES, 2)}
    assert not Message.objects.filter(channel="sms", status=MessageStatus.UNCERTAIN).exists()
    # and no email reached the mail server twice; every one marked sent reached it
    emails = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert max(emails.values()) == 1
    sent_emails = set(
        Message.objects.filter(channel="email", status=MessageStatus.SENT).values_list(
            "message_id_header", flat=True
        )
    )
    assert sent_emails <= set(emails)
    # (the uncertain ones are at most the few a killed worker had in the mail server's hands)
    assert statuses.get(MessageStatus.UNCERTAIN, 0) <= kills
    # and every message sent is on its person's timeline and in the audit trail, once
    sent = statuses[MessageStatus.SENT]
    assert Touchpoint.objects.filter(kind="message", direction="outbound").count() == sent
    assert AuditEvent.objects.filter(action="message.sent").count() == sent
