"""One resource in several files with different content: which version the import keeps.

A provider directory and the patients' bundles often each carry their own copy of the same
practitioner or organisation, one with usage counters or a phone number the other lacks. The
choice must not depend on anything but the input, or every import of the same files flips the
row from one copy to the other and reports (and audits) an update each time:

1. a copy whose ``meta.lastUpdated`` is earlier than the one imported is ignored, a later one
   replaces it;
2. otherwise, when two copies meet in one import (the stored one was written earlier in this
   run), the later file's is kept, and the one it replaced is remembered as superseded;
3. a superseded copy met again in a later import is ignored: the same files give the same row,
   and importing them again changes nothing.

The run notes each copy that was not taken, or that replaced another of the same run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

MAX_SUPERSEDED = 8  # versions remembered per resource (the oldest are forgotten)

OLDER = "another version with a later meta.lastUpdated is already imported; kept that one, not this"
LOST_BEFORE = (
    "an earlier import met this version and another file's, and kept the other (the later "
    "file's: neither is newer by meta.lastUpdated); kept that one, not this"
)
TAKEN_NEWER = (
    "also earlier in this import with other content; kept this version (its meta.lastUpdated "
    "is later)"
)
TAKEN_LATER = (
    "also earlier in this import with other content; kept this version (the later file's: "
    "neither is newer by meta.lastUpdated)"
)


@dataclass
class Choice:
    keep_stored: bool
    note: str = ""
    superseded: list[list[str]] | None = None  # the record's new list, when it changes


def choose_version(
    *,
    content_hash: str,
    updated: datetime | None,
    stored_hash: str,
    stored_updated: datetime | None,
    stored_run: UUID | None,
    superseded: Any,
    run: UUID,
) -> Choice:
    """A copy whose content differs from the stored one: keep the stored one, or take it."""
    met_here = stored_run == run  # the stored copy was written by an earlier file of this run
    remembered = [[str(h), str(r)] for h, r in (superseded if isinstance(superseded, list) else [])]
    if updated and stored_updated and updated < stored_updated:
        return Choice(keep_stored=True, note=OLDER)
    if updated and stored_updated and updated > stored_updated:
        return Choice(keep_stored=False, note=TAKEN_NEWER if met_here else "")
    if any(h == content_hash and r != str(run) for h, r in remembered):
        return Choice(keep_stored=True, note=LOST_BEFORE)
    if not met_here:
        return Choice(keep_stored=False)  # a new version in a later import: an update
    kept = [[h, r] for h, r in remembered if h not in {content_hash, stored_hash}]
    return Choice(
        keep_stored=False,
        note=TAKEN_LATER,
        superseded=[*kept, [stored_hash, str(run)]][-MAX_SUPERSEDED:],
    )
