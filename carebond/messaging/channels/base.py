"""What every channel plug-in offers the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    """A text file an email carries (a calendar invitation). ``content_type`` may carry
    parameters: "text/calendar; method=REQUEST"."""

    filename: str
    content_type: str
    content: str


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider sees it (built by the outbox from a Message row)."""

    public_id: str
    to: str
    sender: str
    text: str
    subject: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # Where the provider reports delivery (SMS status callbacks).
    status_callback: str = ""
    # Emails only: files sent with the words.
    attachments: tuple[Attachment, ...] = ()


class SendFailure(Exception):
    """The provider did not take the message. ``transient``: try again later (a timeout, a
    busy server); otherwise never (an invalid number, a refused address). ``revoked``: the
    provider says the recipient opted out with it, which CareBond records as a revocation.
    ``ambiguous``: the message may have been taken (the answer was lost: a read timeout, a
    dropped connection, a 5xx): never simply sent again; the stale-send scan finds out."""

    def __init__(
        self,
        reason: str,
        *,
        transient: bool,
        code: str = "",
        revoked: bool = False,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code
        self.revoked = revoked
        self.ambiguous = ambiguous


class Channel(Protocol):
    # Whether ``find_accepted`` can answer: a provider with an API can be asked what it took; a
    # plain SMTP server cannot.
    can_reconcile: bool

    def send(self, message: Outgoing) -> str:
        """Hand the message over; return the provider's id for it. Raises SendFailure."""
        ...

    def find_accepted(self, message: Outgoing, *, since: datetime) -> list[str]:
        """The provider's ids of what it took after ``since`` that may be this message (same
        words, same number), newest first; empty if none. Used after a worker stopped between
        handing over and writing down the answer (the caller skips ids already recorded)."""
        ...

    def close(self) -> None:
        """Let go of any connection kept open between sends (the end of a round)."""
        ...
