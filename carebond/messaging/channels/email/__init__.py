"""Email through Django's email backend (SMTP in production, a file in the demo).

Every email carries its own Message-ID (replies thread on it), and marketing and survey emails
the RFC 8058 one-click unsubscribe headers the outbox put in ``headers``."""

from __future__ import annotations

import smtplib
from datetime import datetime

from django.core.mail import EmailMultiAlternatives, get_connection

from carebond.messaging.channels.base import Outgoing, SendFailure


class EmailChannel:
    can_reconcile = False

    def send(self, message: Outgoing) -> str:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=message.sender,
            to=[message.to],
            headers=message.headers,
            connection=get_connection(fail_silently=False),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            email.send()
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
        except (TimeoutError, smtplib.SMTPException, OSError):
            raise SendFailure("The mail server could not be reached.", transient=True) from None
        return message.headers.get("Message-ID", message.public_id)

    def find_accepted(self, message: Outgoing, *, since: datetime) -> list[str]:
        raise NotImplementedError("An SMTP server cannot be asked what it accepted.")


def make_channel() -> EmailChannel:
    return EmailChannel()
