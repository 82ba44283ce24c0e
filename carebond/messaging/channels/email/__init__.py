"""Email through Django's email backend (SMTP in production, a file in the demo).

Every email carries its own Message-ID (replies thread on it) and the RFC 8058 one-click
unsubscribe headers the outbox put in ``headers``; it is DKIM-signed when a key is configured
(``MESSAGING_DKIM_KEY_FILE``, ``MESSAGING_DKIM_SELECTOR``, ``MESSAGING_DKIM_DOMAIN``), so that
receiving servers can trust the unsubscribe headers and the sender."""

from __future__ import annotations

import smtplib
from contextlib import suppress
from datetime import datetime
from email.mime.text import MIMEText
from functools import partial
from pathlib import Path
from typing import Any

import dkim
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from carebond.messaging.channels.base import Attachment, Outgoing, SendFailure

# Headers the signature covers (RFC 6376 recommends From, To, Subject, Date, Message-ID; the
# unsubscribe headers too, as RFC 8058 asks).
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)


class SignedEmail(EmailMultiAlternatives):
    """An email whose message carries a DKIM-Signature header over its final bytes."""

    def __init__(self, *args: Any, dkim_key: bytes, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dkim_key = dkim_key

    def message(self, *args: Any, **kwargs: Any) -> Any:
        message: Any = super().message(*args, **kwargs)  # (Django's accepts linesep=)
        present = {name.lower().encode() for name in message}
        signature = dkim.sign(  # raises dkim.DKIMException on a bad key
            message.as_bytes(linesep="\r\n"),
            selector=settings.MESSAGING_DKIM_SELECTOR.encode(),
            domain=settings.MESSAGING_DKIM_DOMAIN.encode(),
            privkey=self.dkim_key,
            include_headers=[h for h in SIGNED_HEADERS if h in present],
        )
        name, _, value = signature.decode().partition(":")  # (dkim errors: see send)
        message[name] = value.strip().replace("\r\n", "")
        return message


def dkim_key() -> bytes | None:
    path = getattr(settings, "MESSAGING_DKIM_KEY_FILE", "")
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SendFailure(
            f"The DKIM key file cannot be read ({error.strerror}).",
            transient=True,
            code="dkim_key",
        ) from None


class EmailChannel:
    """One connection to the mail server, opened at the first email and kept open for the
    next ones until ``close`` (the end of the worker's round): a new SMTP session per email
    would cost a connection, a greeting and EHLO each time. After any failure the connection
    is dropped and the next email opens a fresh one."""

    can_reconcile = False

    def __init__(self) -> None:
        self.connection: Any = None
        self.key: bytes | None = None

    def send(self, message: Outgoing) -> str:
        if self.connection is None:
            self.key = dkim_key()
            self.connection = get_connection(fail_silently=False)
        key = self.key
        email_class: Any = partial(SignedEmail, dkim_key=key) if key else EmailMultiAlternatives
        email = email_class(
            subject=message.subject,
            body=message.text,
            from_email=message.sender,
            to=[message.to],
            headers=message.headers,
            connection=self.connection,
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            email.attach(mime_part(attachment))
        try:
            try:
                self.connection.open()  # (kept open: the backend then leaves it so)
                email.send()
            except BaseException:
                self.close()
                raise
        except dkim.DKIMException as error:  # signing happens before anything is sent
            raise SendFailure(
                f"The DKIM key cannot sign ({type(error).__name__}): check CAREBOND_DKIM_KEY_FILE.",
                transient=True,
                code="dkim_key",
            ) from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            transient = all(400 <= code < 500 for code in codes)
            raise SendFailure(
                "The mail server refused the address.",
                transient=transient,
                code=str(codes[0]) if codes else "",
            ) from None
        except smtplib.SMTPResponseException as error:
            raise SendFailure(
                f"The mail server answered {error.smtp_code}.",
                transient=400 <= error.smtp_code < 500,
                code=str(error.smtp_code),
            ) from None
        except (smtplib.SMTPConnectError, ConnectionRefusedError):
            raise SendFailure("The mail server could not be reached.", transient=True) from None
        except (TimeoutError, smtplib.SMTPException, OSError):
            # The connection failed after it was made: the server may have the message.
            raise SendFailure(
                "The mail server's answer was lost.", transient=True, ambiguous=True
            ) from None
        return message.headers.get("Message-ID", message.public_id)

    def find_accepted(self, message: Outgoing, *, since: datetime) -> list[str]:
        raise NotImplementedError("An SMTP server cannot be asked what it accepted.")

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with suppress(Exception):  # (a connection that broke is closed already)
                connection.close()


def mime_part(attachment: Attachment) -> MIMEText:
    """A text file as a MIME part, with the content type's parameters kept (a calendar
    invitation's ``method=REQUEST`` tells mail programs to offer "Accept")."""
    kind, *parameters = (part.strip() for part in attachment.content_type.split(";"))
    part = MIMEText(attachment.content, kind.split("/", 1)[1], "utf-8")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        part.set_param(name.strip(), value.strip().strip('"'))
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def make_channel() -> EmailChannel:
    return EmailChannel()
