"""The template editor's preview: the template rendered with a real person's data, its linter
findings, and what an SMS costs in segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.messaging.actions import merge_values
from carebond.messaging.models import MessageChannel, MessageTemplate
from carebond.messaging.wording import (
    LintResult,
    Rendered,
    SmsLength,
    lint_template,
    render,
    sms_length,
)
from carebond.people.models import Person, PersonKind

if TYPE_CHECKING:
    from carebond.accounts.models import User


@dataclass
class Preview:
    lint: LintResult
    rendered: Rendered | None
    person_name: str
    sms: SmsLength | None


def preview_template(user: User, template: MessageTemplate) -> Preview:
    lint = lint_template(
        purpose=template.purpose,
        subject=template.subject,
        body_text=template.body_text,
        body_html=template.body_html,
    )
    person = (
        Person.objects.live()
        .filter(organization_id=user.organization_id, kind=PersonKind.PATIENT)
        .order_by("id")
        .first()
    )
    rendered = None
    if lint.ok and person is not None:
        # The preview shows a real person's name: an audited read.
        record_access(
            actor=user, action="person.previewed_in_template", target=person, patient=person
        )
        values = merge_values(
            person,
            language=template.language,
            extra={
                "location": "Main clinic",
                "appointment_time": clock.now().replace(hour=15, minute=30),
                "link": "https://example.org/l/abc123",
                "unsubscribe_link": "https://example.org/u/abc123",
                "staff_name": user.get_full_name() or user.username,
            },
        )
        rendered = render(
            subject=template.subject,
            body_text=template.body_text,
            body_html=template.body_html,
            values=values,
        )
    sms = None
    if template.channel == MessageChannel.SMS:
        sms = sms_length(rendered.body_text if rendered else template.body_text)
    return Preview(lint, rendered, person.display_name if person else "", sms)
