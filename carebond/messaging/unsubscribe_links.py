"""One-click unsubscribe from emails (CAN-SPAM, RFC 8058): a signed, expiring link per person
and purpose, in every email's List-Unsubscribe header and in its {{ unsubscribe_link }}.

The token names the person and the consent purpose and nothing else (it reveals nothing about
them); it is valid for ``UNSUBSCRIBE_DAYS`` from queueing (a campaign may wait 90 days), so
at least 60 days after it arrives (the rule asks for 30). Following it
revokes that purpose for email at once (the rule allows 10 business days; the requirement here
is 2), in the people app's consent ledger (``unsubscribe_actions.do_unsubscribe``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from carebond.core.errors import InvalidInput
from carebond.messaging.models import CONSENT_PURPOSE
from carebond.people.models import ConsentStatus, Person, Purpose
from carebond.people.selectors import consent_in_force

SALT = "carebond.messaging.unsubscribe"
# A campaign may be queued up to 90 days ahead, and its link must still work 30 days (we give
# 60) after it arrives: the link is signed when the message is queued.
UNSUBSCRIBE_DAYS = 90 + 60


def unsubscribe_url(person: Person, purpose: str) -> str:
    """The link for this person and message purpose. Absolute when CAREBOND_BASE_URL is set
    (as it must be for emails to be sent from a real deployment)."""
    token = signing.dumps(
        {"p": str(person.public_id), "u": CONSENT_PURPOSE[purpose]}, salt=SALT, compress=True
    )
    path = reverse("messaging:unsubscribe", kwargs={"token": token})
    return settings.BASE_URL.rstrip("/") + path


def unsubscribe_headers(person: Person, purpose: str) -> dict[str, str]:
    """RFC 8058: the link, and that a POST to it unsubscribes without a page."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(person, purpose)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass(frozen=True)
class Unsubscribe:
    person: Person
    purpose: str  # a consent purpose

    @property
    def already(self) -> bool:
        record = consent_in_force(self.person.pk, channel="email", purpose=self.purpose)
        return record is not None and record.status == ConsentStatus.REVOKED


def read_token(token: str) -> Unsubscribe:
    """The person and purpose of a link, or InvalidInput when it is forged or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=UNSUBSCRIBE_DAYS * 86400)
    except signing.SignatureExpired:
        raise InvalidInput("This link has expired.", field="token") from None
    except signing.BadSignature:
        raise InvalidInput("This link is not valid.", field="token") from None
    person = Person.objects.select_related("organization").filter(public_id=data.get("p")).first()
    if person is None or data.get("u") not in Purpose.values:
        raise InvalidInput("This link is not valid.", field="token")
    # A merged record's link still works: it unsubscribes the record it was merged into.
    while person.merged_into_id is not None:
        person = Person.objects.select_related("organization").get(pk=person.merged_into_id)
    return Unsubscribe(person=person, purpose=data["u"])
