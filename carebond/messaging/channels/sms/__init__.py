"""Texts through a Twilio-compatible REST API (the ``twilio`` package), at
``settings.TWILIO_BASE_URL`` so that another compatible provider, or the local fake provider
the tests start, can stand in for Twilio."""

from __future__ import annotations

import os
from datetime import datetime

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from carebond.messaging.channels.base import Outgoing, SendFailure

# Provider error codes that mean the recipient opted out with the provider (its own STOP
# handling): recorded as a revocation, never retried.
OPTED_OUT_CODES = frozenset({21610})
# Codes that will never succeed for this number.
PERMANENT_CODES = frozenset({21211, 21612, 21614, 21408, 21606})


def http_client(base_url: str) -> TwilioHttpClient:
    """The provider's HTTP client, with the environment's proxy and CA settings read once:
    requests reads them again on every call otherwise (a tenth of a worker's time when it
    sends at full speed)."""
    client = TwilioHttpClient(timeout=10, proxy=requests.utils.get_environ_proxies(base_url))
    session = client.session
    if session is not None:
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE", True
        )
        session.trust_env = False
    return client


class TwilioChannel:
    can_reconcile = True

    def __init__(self) -> None:
        if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
            raise SendFailure(
                "Texts are not configured: set CAREBOND_TWILIO_ACCOUNT_SID and "
                "CAREBOND_TWILIO_AUTH_TOKEN.",
                transient=True,
                code="not_configured",
            )
        base_url = settings.TWILIO_BASE_URL.rstrip("/")
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=http_client(base_url),
        )
        self.client.api.base_url = base_url

    def send(self, message: Outgoing) -> str:
        options = {"to": message.to, "from_": message.sender, "body": message.text}
        if message.status_callback:
            options["status_callback"] = message.status_callback
        try:
            created = self.client.messages.create(**options)
        except TwilioRestException as error:
            code = error.code or 0
            transient = error.status == 429 or error.status >= 500
            raise SendFailure(
                f"The text provider refused the message ({error.status}, code {code}).",
                transient=transient and code not in PERMANENT_CODES | OPTED_OUT_CODES,
                code=str(code),
                revoked=code in OPTED_OUT_CODES,
                ambiguous=error.status >= 500,  # it may have created the message first
            ) from None
        except (requests.ConnectTimeout, ConnectionRefusedError):
            raise SendFailure("The text provider could not be reached.", transient=True) from None
        except (TwilioException, requests.RequestException, OSError):
            # The request may have arrived: a read timeout, a connection dropped mid-answer.
            raise SendFailure(
                "The text provider's answer was lost.", transient=True, ambiguous=True
            ) from None
        return str(created.sid)

    def find_accepted(self, message: Outgoing, *, since: datetime) -> list[str]:
        """Ask the provider for texts to this number from this sender since the claim, and
        keep those with the same words. Every page is read, newest first, back to the claim:
        a busy number may have had many texts since (the provider may filter by day only, so
        the time is checked here too)."""
        found = []
        try:
            for candidate in self.client.messages.stream(
                to=message.to, from_=message.sender, date_sent_after=since, page_size=100
            ):
                created = candidate.date_created or candidate.date_sent or since
                if created < since:
                    break
                if candidate.body == message.text:
                    found.append(str(candidate.sid))
        except (TwilioException, requests.RequestException, OSError):
            raise SendFailure("The text provider could not be reached.", transient=True) from None
        return found

    def close(self) -> None:
        return  # (each request is its own HTTP exchange)


def make_channel() -> TwilioChannel:
    return TwilioChannel()
