"""record_audit() and record_access(): the only writers of AuditEvent rows.

Called from actions (writes) and detail selectors (PHI reads), inside the caller's transaction,
so an audited change and its audit row commit or roll back together.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterable
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from carebond.audit.models import GENESIS_HASH, AuditEvent, Outcome
from carebond.core import clock
from carebond.core.logging import request_id_var
from carebond.core.models import Organization
from carebond.core.partitions import HISTORY_LOCK_KEY

if TYPE_CHECKING:
    from carebond.accounts.models import User

client_ip_var: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")

# It names the one lock that serialises appends to the chain (and writes the partitioned
# tables check uniqueness under: carebond.core.partitions).
_CHAIN_LOCK_KEY = HISTORY_LOCK_KEY


def lock_chain() -> None:
    """Serialise appends so two transactions never link to the same previous hash.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions already take the
    write lock at BEGIN (transaction_mode=IMMEDIATE), so appends are serial by construction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _target_parts(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    target_type = f"{target._meta.app_label}.{target._meta.model_name}"
    return target_type, str(getattr(target, "public_id", target.pk))


def record_audit(
    *,
    actor: User | None,
    action: str,
    target: Any = None,
    organization: Organization | None = None,
    patient: Any = None,
    changed_fields: Iterable[str] = (),
    outcome: str = Outcome.SUCCESS,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. ``changed_fields`` are names only, never values."""
    if organization is None:
        organization = getattr(target, "organization", None) or getattr(actor, "organization", None)
    target_type, target_id = _target_parts(target)
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-id").values("id", "hash").first()
        event = AuditEvent(
            # Under the chain lock ids are handed out here, gap-free: the id is part of the hashed
            # row (so reordering shows), and the row is written once, never updated.
            id=(last["id"] + 1) if last else 1,
            public_id=uuid.uuid4(),
            occurred_at=clock.now().astimezone(UTC),
            organization=organization,
            actor=actor,
            actor_label=actor_label or (actor.username if actor is not None else "system"),
            action=action,
            target_type=target_type,
            target_id=target_id,
            patient_id=str(getattr(patient, "public_id", patient or "")),
            request_id=request_id_var.get() if request_id_var.get() != "-" else "",
            client_ip=client_ip_var.get(),
            outcome=outcome,
            changed_fields=sorted(set(changed_fields)),
            prev_hash=last["hash"] if last else GENESIS_HASH,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


def record_audit_many(
    *,
    actor: User | None,
    action: str,
    organization: Organization,
    targets: Iterable[tuple[Any, Any, Iterable[str]]],
    actor_label: str | None = None,
) -> int:
    """Append one event per (target, patient, changed_fields), under one chain lock and in one
    insert: what an import of thousands of rows needs. Same rows as record_audit would write."""
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-id").values("id", "hash").first()
        next_id = (last["id"] + 1) if last else 1
        prev_hash = last["hash"] if last else GENESIS_HASH
        occurred_at = clock.now().astimezone(UTC)
        request_id = request_id_var.get() if request_id_var.get() != "-" else ""
        events = []
        for target, patient, changed_fields in targets:
            target_type, target_id = _target_parts(target)
            event = AuditEvent(
                id=next_id,
                public_id=uuid.uuid4(),
                occurred_at=occurred_at,
                organization=organization,
                actor=actor,
                actor_label=actor_label or (actor.username if actor is not None else "system"),
                action=action,
                target_type=target_type,
                target_id=target_id,
                patient_id=str(getattr(patient, "public_id", patient or "")),
                request_id=request_id,
                client_ip=client_ip_var.get(),
                outcome=Outcome.SUCCESS,
                changed_fields=sorted(set(changed_fields)),
                prev_hash=prev_hash,
            )
            event.hash = event.compute_hash()
            events.append(event)
            next_id, prev_hash = next_id + 1, event.hash
        AuditEvent.objects.bulk_create(events, batch_size=500)
    return len(events)


def record_access(
    *,
    actor: User,
    target: Any,
    patient: Any = None,
    action: str | None = None,
    organization: Organization | None = None,
) -> AuditEvent:
    """Log a read of PHI (detail page, API detail, search, export)."""
    target_type, _ = _target_parts(target)
    return record_audit(
        actor=actor,
        action=action or f"{target_type.split('.')[-1]}.read",
        target=target,
        patient=patient,
        organization=organization,
    )
