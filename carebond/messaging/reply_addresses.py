"""A reply address per email: ``reply+<token>@<reply domain>`` in the Reply-To header, so that an
answer finds the email it answers even when the mail program drops In-Reply-To and References
(some do, and forwarding does). The token is the message's id and a keyed hash of it, so an
address cannot be made up to land in someone else's conversation; who the answer is from is
still decided by the sender's address (``email_inbound_actions._whose``).

Set ``CAREBOND_REPLY_DOMAIN`` to a domain whose mail the mail system posts to CareBond (see
docs/messaging.md); without it emails carry no Reply-To and answers go to the sender's address.
"""

from __future__ import annotations

import hmac
import re
import uuid

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "carebond.messaging.reply-address"
_ADDRESS = re.compile(r"^reply\+(?P<id>[0-9a-f]{32})(?P<check>[0-9a-f]{16})@(?P<domain>.+)$")


def _check(message_id: str) -> str:
    return salted_hmac(SALT, message_id, algorithm="sha256").hexdigest()[:16]


def reply_address(public_id: uuid.UUID) -> str:
    """The Reply-To address of one email, or "" when no reply domain is configured."""
    domain = settings.MESSAGING_REPLY_DOMAIN
    if not domain:
        return ""
    return f"reply+{public_id.hex}{_check(public_id.hex)}@{domain}"


def answered_message_id(addresses: list[str]) -> uuid.UUID | None:
    """The id of the email that one of these recipient addresses answers, when one is a
    genuine reply address of this installation's reply domain."""
    domain = settings.MESSAGING_REPLY_DOMAIN.lower()
    for address in addresses:
        found = _ADDRESS.match(address.strip().lower())
        if found is None or not domain or found["domain"] != domain:
            continue
        if hmac.compare_digest(found["check"], _check(found["id"])):
            return uuid.UUID(found["id"])
    return None
