"""Checkpoints of the audit chain kept outside the database.

The chain shows any edit, deletion or reordering *inside* it, but someone with write access to
the database could cut events off the end, or rewrite the whole chain. A checkpoint (event id and
hash, appended to a file that lives elsewhere: another disk, the backup log, a WORM bucket)
catches both: verification fails when a checkpointed event is gone or has another hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from carebond.audit.models import AuditEvent, chain_start
from carebond.core import clock


@dataclass(frozen=True)
class Checkpoint:
    event_id: int
    hash: str
    taken_at: str


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def read_checkpoints(path: Path | None = None) -> list[Checkpoint]:
    path = path or checkpoint_file()
    if not path.exists():
        return []
    checkpoints = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            checkpoints.append(Checkpoint(int(data["event_id"]), data["hash"], data["taken_at"]))
    return checkpoints


def take_checkpoint(path: Path | None = None) -> Checkpoint | None:
    """Append the newest event's id and hash; None when the trail is empty."""
    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    if head is None:
        return None
    checkpoint = Checkpoint(head["id"], head["hash"], clock.now().isoformat())
    path = path or checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(vars(checkpoint)) + "\n")
    return checkpoint


def first_missed_checkpoint(
    checkpoints: list[Checkpoint], *, using: str = "default"
) -> tuple[Checkpoint, str] | None:
    """The first checkpoint the database no longer matches, with the reason. Checkpoints of
    events a retention cut removed are history: verification starts after the cut."""
    first_kept_id, _, _ = chain_start(using=using)
    checkpoints = [c for c in checkpoints if c.event_id >= first_kept_id]
    if not checkpoints:
        return None
    events = AuditEvent.objects.using(using).filter(id__in=[c.event_id for c in checkpoints])
    hashes = dict(events.values_list("id", "hash"))
    for checkpoint in checkpoints:
        found = hashes.get(checkpoint.event_id)
        if found is None:
            return checkpoint, "the event is gone (events were cut from the end of the chain)"
        if found != checkpoint.hash:
            return checkpoint, "the event's hash differs (the chain was rewritten)"
    return None
