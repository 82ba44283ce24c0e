"""A local text provider speaking Twilio's REST API (the part CareBond uses: create a message,
list messages), on a free port of 127.0.0.1, so that tests send real HTTP requests through the
``twilio`` package. Tests can make it refuse numbers or fail for a while."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from twilio.request_validator import RequestValidator

from carebond.core import clock

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"  # noqa: S105 (the fake provider's)


@dataclass
class SmsProvider:
    base_url: str = ""
    accepted: list[dict[str, str]] = field(default_factory=list)
    # number -> (HTTP status, Twilio error code) to answer for sends to it
    refuse: dict[str, tuple[int, int]] = field(default_factory=dict)
    fail_next: int = 0  # answer 429 (too many requests: nothing created) to this many sends
    lose_answer_next: int = 0  # create the message, then answer 500 (the answer is lost)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, number: str) -> list[dict[str, str]]:
        return [m for m in self.accepted if m["to"] == number]


def _sent_on_or_after(message: dict[str, str], after: str) -> bool:
    """Twilio's DateSent> filter compares days (the tests' reconciliation must not rely on
    the provider for the time of day)."""
    sent = parsedate_to_datetime(message["date_sent"])
    return sent.date() >= datetime.fromisoformat(after.replace("Z", "+00:00")).date()


def _handler(provider: SmsProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as the real provider's API: one connection per client, not per text.
        protocol_version = "HTTP/1.1"
        # Headers and body go out as separate writes: without this, Nagle's algorithm holds
        # the body for the client's delayed ACK (40 ms a text).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if len(raw) < length:
                # The sender went away in the middle of its request (a worker killed): a real
                # provider never sees a whole request, so it sends nothing.
                self.close_connection = True
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            if not self.path.endswith("/Messages.json"):
                self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
                return
            # As the provider does: a text without its number or its words is refused.
            if not form.get("To"):
                self._answer(400, {"code": 21604, "message": "'To' required", "status": 400})
                return
            if not form.get("Body"):
                self._answer(400, {"code": 21602, "message": "Body required", "status": 400})
                return
            with provider.lock:
                if provider.fail_next > 0:
                    provider.fail_next -= 1
                    self._answer(429, {"code": 20429, "message": "Too many", "status": 429})
                    return
                refused = provider.refuse.get(form.get("To", ""))
                if refused:
                    status, code = refused
                    self._answer(status, {"code": code, "message": "Refused", "status": status})
                    return
                message = {
                    "sid": "SM" + uuid.uuid4().hex,
                    "to": form.get("To", ""),
                    "from": form.get("From", ""),
                    "body": form.get("Body", ""),
                    "status": "queued",
                    "status_callback": form.get("StatusCallback", ""),
                    "date_created": format_datetime(clock.now()),
                    "date_sent": format_datetime(clock.now()),
                    "account_sid": ACCOUNT_SID,
                }
                provider.accepted.append(message)
                lost = provider.lose_answer_next > 0
                provider.lose_answer_next -= lost
            if lost:
                self._answer(500, {"code": 20500, "message": "Internal error", "status": 500})
                return
            self._answer(201, message)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            after = query.get("DateSent>")
            with provider.lock:
                found = [
                    m
                    for m in reversed(provider.accepted)  # newest first, as Twilio lists them
                    if m["to"] == query.get("To", m["to"])
                    and m["from"] == query.get("From", m["from"])
                    and (after is None or _sent_on_or_after(m, after))
                ]
            # Pages as Twilio's: PageSize (50 unless asked), Page from 0, a next page's address.
            size = min(1000, int(query.get("PageSize", "50")))
            number = int(query.get("Page", "0"))
            start = number * size
            more = len(found) > start + size
            next_page = url.path + "?" + urlencode(query | {"Page": str(number + 1)})
            self._answer(
                200,
                {
                    "messages": found[start : start + size],
                    "next_page_uri": next_page if more else None,
                    "page": number,
                    "page_size": size,
                    "uri": self.path,
                    "start": start,
                    "end": min(len(found), start + size) - 1,
                    "first_page_uri": self.path,
                    "previous_page_uri": None,
                },
            )

    return Handler


@contextmanager
def running_sms_provider() -> Iterator[SmsProvider]:
    """The provider on a free local port, in a thread of this process (tests, benchmarks)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = SmsProvider(base_url=f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(provider))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sms_provider(settings: Any) -> Iterator[SmsProvider]:
    """Texts go through the twilio package to a provider the test started."""
    with running_sms_provider() as provider:
        settings.MESSAGING_CHANNELS = {**settings.MESSAGING_CHANNELS, "sms": "sms"}
        settings.TWILIO_BASE_URL = provider.base_url
        settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
        settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
        yield provider


def provider_signature(url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature the provider would put on a webhook call."""
    return str(RequestValidator(AUTH_TOKEN).compute_signature(url, params))
