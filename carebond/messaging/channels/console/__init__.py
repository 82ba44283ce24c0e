"""Texts written to a file instead of a provider: the demo's SMS channel. One JSON line per
text in ``settings.SMS_FILE_PATH/texts.jsonl``."""

from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings

from carebond.core import clock
from carebond.messaging.channels.base import Outgoing


class ConsoleChannel:
    can_reconcile = True

    @property
    def path(self):  # type: ignore[no-untyped-def]
        folder = settings.SMS_FILE_PATH
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "texts.jsonl"

    def send(self, message: Outgoing) -> str:
        provider_id = f"console-{message.public_id}"
        line = {
            "id": provider_id,
            "to": message.to,
            "from": message.sender,
            "body": message.text,
            "at": clock.now().isoformat(),
        }
        with self.path.open("a", encoding="utf-8") as texts:
            texts.write(json.dumps(line) + "\n")
        return provider_id

    def find_accepted(self, message: Outgoing, *, since: datetime) -> list[str]:
        provider_id = f"console-{message.public_id}"
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as texts:
            return [provider_id] if any(provider_id in line for line in texts) else []

    def close(self) -> None:
        return


def make_channel() -> ConsoleChannel:
    return ConsoleChannel()
