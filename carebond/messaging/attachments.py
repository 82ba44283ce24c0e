"""Files an email carries (a calendar invitation), kept on the message as JSON so that the
worker sends exactly what was queued, however late it sends it."""

from __future__ import annotations

import json

from carebond.core.errors import InvalidInput
from carebond.messaging.channels.base import Attachment

# An invitation is a few kilobytes; anything near this is a mistake, not a file to mail.
MAX_ATTACHMENT_CHARACTERS = 100_000


def pack(attachments: tuple[Attachment, ...]) -> str:
    """The JSON kept on the message ("" for none). Refuses what an email cannot carry."""
    for attachment in attachments:
        if not attachment.filename or not attachment.content_type.startswith("text/"):
            raise InvalidInput(
                "An attachment is a text file (text/...) with a file name.", field="attachments"
            )
        if len(attachment.content) > MAX_ATTACHMENT_CHARACTERS:
            raise InvalidInput(
                f"{attachment.filename} is over {MAX_ATTACHMENT_CHARACTERS:,} characters.",
                field="attachments",
            )
    if not attachments:
        return ""
    return json.dumps(
        [
            {"filename": a.filename, "content_type": a.content_type, "content": a.content}
            for a in attachments
        ]
    )


def unpack(packed: str) -> tuple[Attachment, ...]:
    if not packed:
        return ()
    return tuple(
        Attachment(item["filename"], item["content_type"], item["content"])
        for item in json.loads(packed)
    )
