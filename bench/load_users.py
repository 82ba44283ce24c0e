"""The load test's simulated users (locust, driven from Python, headless, for a bounded time).

    python bench/load_users.py PLAN.json OUT.json --base http://127.0.0.1:PORT \
        --first 0 --users 12 --seconds 150 [--retry]

Each user is one member of staff, one patient answering a survey and the text provider, by
turns: people search and the person page (a front-desk session), the timeline API and the FHIR
Patient read (a clinician's token), booking the first open time on a day of its own (the front
desk's token), the post-visit survey through the patient's link (every part, then send), and an
inbound text through the provider's webhook, signed as the provider signs it. Every request goes
as a TLS-terminating proxy would pass it on (X-Forwarded-Proto: https), so production's settings
apply unchanged. Writes acknowledged (a 2xx with what identifies them) are written to OUT.json
with every request's start, name, time and outcome; ``--retry`` makes writes that failed try
again as a client or the provider would (the same text, the same booking, the same survey page).

Runs in its own process: locust patches the standard library for gevent at import, which the
database driver of the process that checks the results must not see.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task
from locust.env import Environment
from locust.exception import StopUser
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from carebond.testing.sms_provider import ACCOUNT_SID, AUTH_TOKEN

# The text provider's auth token the webhook checks: the local provider's unless told.
WEBHOOK_TOKEN = os.environ.get("CAREBOND_TWILIO_AUTH_TOKEN") or AUTH_TOKEN
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RETRIES = 20  # a write that keeps failing is retried once a second for this long, then dropped
STATE: dict[str, Any] = {"stop": False}
RECORD: dict[str, list[Any]] = {"requests": [], "acknowledged": [], "attempted": [], "gave_up": []}


def cookie(response: Any, name: str) -> str:
    """A cookie the server set. Production marks them Secure, which a client speaking plain
    HTTP to the loopback address would not send back: the proxy's side is TLS."""
    for header, value in response.headers.items():
        if header.lower() == "set-cookie" and value.startswith(f"{name}="):
            return str(value.split(";", 1)[0].split("=", 1)[1])
    return ""


class Staff(FastHttpUser):
    wait_time = between(0.05, 0.5)
    plan: dict[str, Any] = {}
    public_base = ""
    retry = False
    numbers = itertools.count()

    def on_start(self) -> None:
        self.index = next(Staff.numbers)
        mine = self.plan["users"][self.index]
        self.rng = random.Random(f"{self.plan['seed']}-user-{self.index}")
        self.session = mine["session"]
        self.desk = {"Authorization": f"Bearer {mine['desk_token']}"}
        self.clinical = {"Authorization": f"Bearer {mine['clinical_token']}"}
        self.booking = mine["booking"]
        self.slots = list(self.booking["slots"])
        self.patients = itertools.cycle(self.booking["patients"])
        self.surveys = list(mine["surveys"])
        self.phones = itertools.cycle(mine["phones"])
        self.texts = itertools.count()

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-Forwarded-Proto": "https", **(extra or {})}

    def _page_headers(self) -> dict[str, str]:
        return self._headers({"Cookie": f"sessionid={self.session}"})

    def _check(self, response: Any, expected: int) -> bool:
        if response.status_code != expected:
            response.failure(f"{response.status_code}")
            return False
        response.success()
        return True

    def _get(self, path: str, name: str, headers: dict[str, str]) -> Any:
        if STATE["stop"]:
            raise StopUser
        with self.client.get(path, name=name, headers=headers, catch_response=True) as response:
            self._check(response, 200)
        return response

    def _write(self, name: str, expected: int, send: Any) -> Any:
        """One write; with --retry, tried again while it fails (no answer, or a 5xx/4xx other
        than the one that says it was already done). Returns the good response or None."""
        for attempt in range(RETRIES if self.retry else 1):
            if attempt:
                gevent.sleep(1.0)
            if STATE["stop"] and not attempt:
                raise StopUser
            with send() as response:
                if self._check(response, expected):
                    return response
                status = response.status_code
            if status in (400, 403, 404, 409, 422):  # refused for what it is: no retry helps
                return None
        RECORD["gave_up"].append(name)
        return None

    @task(25)
    def search(self) -> None:
        query = self.rng.choice(self.plan["searches"])
        self._get(f"/people/?{urlencode({'q': query})}", "search", self._page_headers())

    @task(20)
    def person_page(self) -> None:
        person = self.rng.choice(self.plan["people"])
        self._get(f"/people/{person}/", "person page", self._page_headers())

    @task(15)
    def timeline(self) -> None:
        person = self.rng.choice(self.plan["people"])
        path = f"/api/v1/people/{person}/timeline"
        self._get(path, "timeline API", self._headers(self.clinical))

    @task(15)
    def fhir_patient(self) -> None:
        person = self.rng.choice(self.plan["people"])
        headers = self._headers({**self.clinical, "Accept": "application/fhir+json"})
        self._get(f"/fhir/R4/Patient/{person}", "FHIR Patient read", headers)

    @task(6)
    def book(self) -> None:
        while self.slots:
            provider, day = self.slots[0]
            query = urlencode(
                {
                    "location": self.booking["location"],
                    "appointment_type": self.booking["appointment_type"],
                    "provider": provider,
                    "day": day,
                }
            )
            response = self._get(
                f"/api/v1/scheduling/open-times?{query}",
                "booking: open times",
                self._headers(self.desk),
            )
            if response.status_code != 200:
                return
            times = response.json()
            if not times:
                self.slots.pop(0)
                continue
            booking = {
                "patient": next(self.patients),
                "provider": provider,
                "location": self.booking["location"],
                "appointment_type": self.booking["appointment_type"],
                "starts_at": times[0]["starts_at"],
            }
            RECORD["attempted"].append({"kind": "booking", **booking})
            done = self._write(
                "booking: book",
                201,
                lambda booking=booking: self.client.post(
                    "/api/v1/scheduling/appointments",
                    name="booking: book",
                    json=booking,
                    headers=self._headers(self.desk),
                    catch_response=True,
                ),
            )
            if done is not None:
                RECORD["acknowledged"].append({"kind": "booking", "id": done.json()["id"]})
            return

    @task(3)
    def survey(self) -> None:
        if not self.surveys:
            return
        token = self.surveys.pop()
        path = f"/survey/{token}/"
        opened = self._get(f"{path}?lang=en", "survey: open", self._headers())
        form = CSRF_FIELD.search(opened.text or "")
        csrf = cookie(opened, "csrftoken")
        if opened.status_code != 200 or not form or not csrf:
            return
        RECORD["attempted"].append({"kind": "survey", "token": token})
        parts = self.plan["survey_parts"]
        headers = self._headers(
            {
                "Cookie": f"csrftoken={csrf}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.public_base,
                "Referer": f"{self.public_base}{path}?lang=en",
            }
        )
        for number, fields in enumerate(parts, 1):
            last = number == len(parts)
            body = urlencode(
                {
                    "csrfmiddlewaretoken": form.group(1),
                    "lang": "en",
                    "part": str(number),
                    "go": "send" if last else "next",
                    **fields,
                },
                doseq=True,
            )
            name = "survey: send" if last else "survey: save part"
            done = self._write(
                name,
                302,
                lambda body=body, name=name: self.client.post(
                    path,
                    name=name,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    catch_response=True,
                ),
            )
            if done is None:
                return
        RECORD["acknowledged"].append({"kind": "survey", "token": token})

    @task(8)
    def inbound_text(self) -> None:
        number = next(self.texts)
        sid = f"SM{self.plan['phase']}{self.index:05d}{number:026d}"[:34]
        fields = {
            "AccountSid": ACCOUNT_SID,
            "MessageSid": sid,
            "From": next(self.phones),
            "To": self.plan["sms_to"],
            "Body": self.rng.choice(self.plan["texts"]),
            "NumMedia": "0",
        }
        url = f"{self.public_base}/messaging/sms/inbound"
        signature = RequestValidator(WEBHOOK_TOKEN).compute_signature(url, fields)
        headers = self._headers(
            {
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            }
        )
        RECORD["attempted"].append({"kind": "sms", "sid": sid})
        done = self._write(
            "inbound SMS",
            200,
            lambda: self.client.post(
                "/messaging/sms/inbound",
                name="inbound SMS",
                data=urlencode(fields),
                headers=headers,
                catch_response=True,
            ),
        )
        if done is not None:
            RECORD["acknowledged"].append(
                {
                    "kind": "sms",
                    "sid": sid,
                    "request_id": done.headers.get("X-Request-ID", ""),
                    "at": time.time(),
                }
            )


@events.request.add_listener
def _record(
    name: str,
    response_time: float,
    response: Any,
    exception: BaseException | None,
    start_time: float,
    **_: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    RECORD["requests"].append(
        [round(start_time, 3), name, round(response_time, 2), int(exception is None), status]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--public-base", required=True, help="the address as the proxy shows it")
    parser.add_argument("--phase", default="L", help="one letter, in the texts' ids")
    parser.add_argument("--first", type=int, default=0, help="the plan's first user to play")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--retry", action="store_true")
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())
    plan["phase"] = args.phase
    Staff.plan, Staff.public_base, Staff.retry = plan, args.public_base, args.retry
    Staff.numbers = itertools.count(args.first)
    random.seed(f"{plan['seed']}-{args.phase}")
    environment = Environment(user_classes=[Staff], host=args.base, events=events)
    runner = environment.create_local_runner()
    started = time.time()
    runner.start(args.users, spawn_rate=max(1.0, args.users / 3))

    def stop() -> None:
        # Users finish the request in hand and stop; whatever is still running later is ended.
        STATE["stop"] = True
        gevent.sleep(10)
        runner.quit()

    gevent.spawn_later(args.seconds, stop)
    assert runner.greenlet is not None
    runner.greenlet.join()
    RECORD["window"] = [started, time.time()]
    args.out.write_text(json.dumps(RECORD))
    summary(RECORD["requests"], time.time() - started)


def summary(requests: list[list[Any]], seconds: float) -> None:
    """Per request name, for a run against a deployment of one's own (bench/load.py measures
    its own window and writes the results)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import percentile

    names = sorted({row[1] for row in requests})
    print(f"{'request':24} {'n':>7} {'per s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>7}")
    for name in names:
        times = [row[2] for row in requests if row[1] == name]
        errors = sum(1 for row in requests if row[1] == name and not row[3])
        print(
            f"{name:24} {len(times):7} {len(times) / seconds:7.1f} {percentile(times, 50):7.0f} "
            f"{percentile(times, 95):7.0f} {percentile(times, 99):7.0f} {errors:7}"
        )


if __name__ == "__main__":
    main()
