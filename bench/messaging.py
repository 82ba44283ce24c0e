"""Dispatch benchmark: how fast `carebond worker` sends queued messages to a real SMTP server
and the local text provider, beside a bare loop that sends the same messages straight to them.

    CAREBOND_DATABASE_URL=... python bench/messaging.py [--messages 5000] [--drain 100000]

Half texts, half emails, to people who agreed to them. The bare loop is one process calling the
twilio client and Django's SMTP backend (one SMTP session for all its emails), nothing else: the
floor. Then two workers (as
separate processes, the product's real path) drain the same number from the outbox: rate =
messages / seconds from the first claim to the last one sent. Then the drain: 100,000
appointment reminders queued at once, and the time two workers take to send them all.
Writes bench/results/<database>-messaging.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, database_label, database_version, machine, results_path, setup_django

PEOPLE = 200
WORKERS = 2
TARGET_PER_SECOND = 300
TARGET_RATIO = 0.5
TEXT_FROM, EMAIL_FROM = "+13125550100", "clinic@bench.example"
# What a short code or a high-volume email account allows: the worker's throttle is measured
# (each batch takes its share of the senders' rates) without being the limit.
SENDER_RATE = 1000


def prepare() -> tuple[Any, list[Any]]:
    """An organisation, its senders, and people who agreed to care and appointment messages."""
    from carebond.core.models import Organization
    from carebond.messaging.actions import check_add_sender
    from carebond.people.actions import check_record_consent
    from carebond.people.tests.factories import make_patient

    organization = Organization.objects.create(slug="messaging-bench", name="Bench clinic")
    for channel, address in (("sms", TEXT_FROM), ("email", EMAIL_FROM)):
        check_add_sender(
            organization,
            channel=channel,
            address=address,
            label=channel,
            purposes=["care", "appointment"],
            per_second=SENDER_RATE,
        )
    people = []
    for n in range(PEOPLE):
        person = make_patient(
            organization,
            f"Pat{n}",
            "Bench",
            phone=f"+1312555{4000 + n:04d}",
            email=f"p{n}@bench.example",
        )
        for channel in ("sms", "email"):
            for purpose in ("care", "appointment"):
                check_record_consent(
                    person,
                    channel=channel,
                    purpose=purpose,
                    status="granted",
                    method="written",
                    acting_user=None,
                )
        people.append(person)
    return organization, people


def bare_loop(count: int, sms_base_url: str, smtp_port: int) -> float:
    """Messages per second sent straight to the servers by one loop (the floor)."""
    from django.core.mail import EmailMultiAlternatives, get_connection
    from twilio.rest import Client

    from carebond.messaging.channels.sms import http_client
    from carebond.testing.sms_provider import ACCOUNT_SID, AUTH_TOKEN

    # The same HTTP client as the worker's text channel.
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client(sms_base_url))
    client.api.base_url = sms_base_url
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=smtp_port
    )
    connection.open()  # one SMTP session for every email, as the worker's channel keeps
    started = time.perf_counter()
    for n in range(count):
        if n % 2 == 0:
            client.messages.create(to="+13125559999", from_=TEXT_FROM, body=f"bare {n}")
        else:
            EmailMultiAlternatives(
                subject="Your visit",
                body=f"bare {n}",
                from_email=EMAIL_FROM,
                to=["bare@bench.example"],
                connection=connection,
            ).send()
    seconds = time.perf_counter() - started
    connection.close()
    return count / seconds


def drain(env: dict[str, str], tag: str) -> float:
    """Start two workers, wait until every message tagged ``tag`` is sent, stop them: seconds
    from the first claim to the last send."""
    from django.db.models import Max, Min

    from carebond.messaging.models import Message, MessageStatus

    ours = Message.objects.filter(idempotency_key__startswith=f"{tag}-")
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "carebond.cli", "worker", "--poll", "0.1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(WORKERS)
    ]
    try:
        while ours.exclude(status=MessageStatus.SENT).exists():
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    span = ours.aggregate(first=Min("claimed_at"), last=Max("sent_at"))
    return (span["last"] - span["first"]).total_seconds()


def worker_env(sms_base_url: str, smtp_port: int) -> dict[str, str]:
    from carebond.testing.sms_provider import ACCOUNT_SID, AUTH_TOKEN

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return env | {
        "CAREBOND_ENV": "test",
        "CAREBOND_EMAIL_HOST": "127.0.0.1",
        "CAREBOND_EMAIL_PORT": str(smtp_port),
        "CAREBOND_SMS_CHANNEL": "sms",
        "CAREBOND_TWILIO_BASE_URL": sms_base_url,
        "CAREBOND_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CAREBOND_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--drain", type=int, default=100_000)
    args = parser.parse_args()
    # The workers run with the test settings (SMTP backend, no files under var/); so does this.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    setup_django()
    from django.core.management import call_command

    from carebond.core.models import Organization
    from carebond.testing.fixtures import running_smtp_server
    from carebond.testing.outbox import queue_many
    from carebond.testing.sms_provider import running_sms_provider

    call_command("migrate", verbosity=0)
    if Organization.objects.filter(slug="messaging-bench").exists():
        sys.exit("bench/messaging.py needs a database without its organisation: use a fresh one.")
    label = database_label()
    organization, people = prepare()
    with running_sms_provider() as provider, running_smtp_server() as (_mailbox, smtp_port):
        print(f"[{label}] bare loop: {args.messages} messages straight to the servers", flush=True)
        bare = bare_loop(args.messages, provider.base_url, smtp_port)
        env = worker_env(provider.base_url, smtp_port)
        print(f"[{label}] {WORKERS} workers: {args.messages} messages", flush=True)
        queue_many(
            organization,
            people,
            args.messages,
            tag="rate",
            purpose="care",
            text_from=TEXT_FROM,
            email_from=EMAIL_FROM,
        )
        seconds = drain(env, "rate")
        rate = args.messages / seconds
        print(f"[{label}] {WORKERS} workers: drain of {args.drain:,} reminders", flush=True)
        queue_many(
            organization,
            people,
            args.drain,
            tag="drain",
            purpose="appointment",
            text_from=TEXT_FROM,
            email_from=EMAIL_FROM,
        )
        drain_seconds = drain(env, "drain")
    results = {
        "database": database_version(),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "workers": WORKERS,
        "bare_loop_per_second": round(bare),
        "dispatch": {
            "messages": args.messages,
            "seconds": round(seconds, 2),
            "per_second": round(rate),
        },
        "ratio_to_bare": round(rate / bare, 2),
        "drain": {
            "messages": args.drain,
            "seconds": round(drain_seconds, 1),
            "per_second": round(args.drain / drain_seconds),
        },
        "targets": {"per_second": TARGET_PER_SECOND, "ratio_to_bare": TARGET_RATIO},
        "met": {
            "per_second": rate >= TARGET_PER_SECOND,
            "ratio_to_bare": rate / bare >= TARGET_RATIO,
        },
    }
    path = results_path(label, "-messaging")
    path.write_text(
        orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    )
    print(orjson.dumps(results["met"]).decode(), f"-> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
