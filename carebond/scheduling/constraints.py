"""No double booking, enforced by the database.

PostgreSQL: range exclusion constraints (btree_gist) over ``[starts_at, ends_at)`` of the live
appointments of one provider, one room and one patient. Two appointments of a provider or room
may overlap only when they share a ``group_key`` (the seats of one group visit), and an
overbooked one (a manager's deliberate choice) is outside the provider's and the room's
constraint, never the patient's.

SQLite has no exclusion constraints: triggers before INSERT and UPDATE refuse the same rows.
SQLite runs one writer at a time, so a trigger's check and the write cannot be interleaved.
Both are created by migration 0002.

``conflict_in(error)`` says which rule an IntegrityError broke (the constraint's name), so the
booking action can answer "this time was just taken" and let any other error through.
"""

from __future__ import annotations

from django.db import IntegrityError

TABLE = "scheduling_appointment"
PROVIDER_FREE = "appointment_provider_free"
ROOM_FREE = "appointment_room_free"
PATIENT_FREE = "appointment_patient_free"
SEAT = "appointment_one_per_seat"
CONFLICTS = (PROVIDER_FREE, ROOM_FREE, PATIENT_FREE, SEAT)


def conflict_in(error: IntegrityError) -> str | None:
    """The booking constraint an IntegrityError broke, or None for any other error."""
    cause = error.__cause__
    diagnostics = getattr(cause, "diag", None)
    name = getattr(diagnostics, "constraint_name", None)
    if name in CONFLICTS:
        return str(name)
    text = str(error)
    if f"UNIQUE constraint failed: {TABLE}.provider_id" in text:  # SQLite names the columns
        return SEAT
    return next((c for c in CONFLICTS if c in text), None)
