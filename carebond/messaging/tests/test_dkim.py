"""Emails are DKIM-signed when a key is configured: the mail server receives a signature that
verifies against the public key published for the selector (headers, body and the one-click
unsubscribe headers included)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from carebond.messaging.actions import check_queue_message
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.people.actions import check_record_consent
from carebond.people.models import Person
from carebond.testing.fixtures import Mailbox


def _key_pair(folder: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_a_signed_email_verifies_against_the_published_key(
    patient: Person, smtp_server: Mailbox, afternoon: object, settings: Any, tmp_path: Path
) -> None:
    key_file, dns_record = _key_pair(tmp_path)
    settings.MESSAGING_DKIM_KEY_FILE = str(key_file)
    settings.MESSAGING_DKIM_SELECTOR = "cb2026"
    settings.MESSAGING_DKIM_DOMAIN = "example.org"
    settings.BASE_URL = "https://crm.example.org"
    check_record_consent(
        patient,
        channel="email",
        purpose="marketing",
        status="granted",
        method="written",
        acting_user=None,
    )
    check_queue_message(
        patient,
        purpose="marketing",
        channel="email",
        template_key="recall",
        idempotency_key="recall-dkim",
        extra={"link": "https://alder.example/book"},
        acting_user=None,
    )
    dispatch_due_messages()
    [email] = smtp_server.messages
    [raw] = smtp_server.raw
    signature = email["DKIM-Signature"]
    assert "s=cb2026" in signature
    assert "list-unsubscribe" in signature.lower()

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"cb2026._domainkey.example.org."
        return dns_record

    assert dkim.verify(raw, dnsfunc=dns)
    # and a changed body no longer verifies
    assert not dkim.verify(raw.replace(b"check-up", b"check-in"), dnsfunc=dns)


def test_without_a_key_emails_go_unsigned(
    patient: Person, smtp_server: Mailbox, afternoon: object
) -> None:
    check_record_consent(
        patient,
        channel="email",
        purpose="care",
        status="granted",
        method="written",
        acting_user=None,
    )
    check_queue_message(
        patient,
        purpose="care",
        channel="email",
        template_key="care_message",
        idempotency_key="care-plain",
        acting_user=None,
    )
    dispatch_due_messages()
    [email] = smtp_server.messages
    assert email["DKIM-Signature"] is None
