"""The worker's care of the tables that keep history (core's registry, ``HistoryTable``):
monthly partitions made ahead of time on PostgreSQL, and each table's retention policy.

Retention removes whole months on PostgreSQL (detach and drop a partition: no row-by-row
delete, no bloat) and rows in batches on SQLite. Every application is written down as a
``RetentionCut`` and audited in the same transaction. The audit trail's own cut keeps the
chain verifiable: it removes only a run of the oldest events, and records where the kept
chain starts and the hash it links to (docs/deployment.md, "Retention").
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Max, Min

from carebond.audit.models import RETENTION_APPLIED, AuditEvent, RetentionCut
from carebond.audit.recording import lock_chain, record_audit
from carebond.core import clock
from carebond.core.partitions import (
    add_months,
    create_month,
    drop_months_before,
    is_partitioned,
    month_of,
    monthly_partitions,
    parked_before,
    parked_months,
)
from carebond.core.registry import HistoryTable, history_tables

logger = logging.getLogger("carebond.audit")

BATCH = 1000


def scan_history_partitions() -> int:
    """Make the partitions of this month and the next ``HISTORY_PARTITIONS_AHEAD`` months
    (and of months whose rows wait in the default partition) that do not exist yet. Returns
    how many it made; doing it again makes none."""
    made = 0
    for table in history_tables():
        if not is_partitioned(table.key):
            continue
        this_month = month_of(clock.now())
        wanted = {add_months(this_month, n) for n in range(settings.HISTORY_PARTITIONS_AHEAD + 1)}
        if table.move_parked:
            wanted |= set(parked_months(table.key, table.column))
        existing = {partition.start for partition in monthly_partitions(table.key)}
        for month in sorted(wanted - existing):
            with transaction.atomic():
                made += create_month(table.key, table.column, month, move_parked=table.move_parked)
    return made


def retention_cutoff(table: HistoryTable) -> datetime | None:
    """Rows older than this go; None keeps the table's rows forever."""
    years = settings.RETENTION_YEARS.get(table.retention)
    if table.model is AuditEvent and (years or 0) < settings.AUDIT_RETENTION_MINIMUM_YEARS:
        raise ImproperlyConfigured(
            f"Audit events are kept {settings.AUDIT_RETENTION_MINIMUM_YEARS} years at least; "
            f"RETENTION_YEARS['audit'] is {years}."
        )
    return _years_before(clock.now(), years) if years else None


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February, in a year that has none
        return moment.replace(year=moment.year - years, day=28)


def scan_retention() -> int:
    """Apply every table's retention policy. Returns how many rows it removed."""
    removed = 0
    for table in history_tables():
        cutoff = retention_cutoff(table)
        if cutoff is None:
            continue
        with transaction.atomic():
            cut = apply_retention(table, cutoff)
        if cut is not None:
            removed += cut.rows
    return removed


@transaction.atomic
def apply_retention(table: HistoryTable, cutoff: datetime) -> RetentionCut | None:
    """Remove the table's rows older than the cutoff (on PostgreSQL: its months that end by
    then), record the cut and audit it. None when there was nothing to remove."""
    if table.model is AuditEvent:
        return _cut_audit_trail(table, cutoff)
    if is_partitioned(table.key):
        cutoff = month_of(cutoff)
    old = table.model._base_manager.filter(**{f"{table.column}__lt": cutoff})
    span = old.aggregate(start=Min(table.column))
    if span["start"] is None:
        return None
    _release_links(table, cutoff)
    if is_partitioned(table.key):
        rows = sum(dropped.rows for dropped in drop_months_before(table.key, cutoff))
        rows += _delete_in_batches(old)  # rows parked in the default partition
    else:
        rows = _delete_in_batches(old)
    return _record_cut(table, span["start"], cutoff, rows)


def _release_links(table: HistoryTable, cutoff: datetime) -> None:
    """What the database's foreign keys would do for rows pointing at the removed ones:
    PostgreSQL keeps none to a partitioned table, and dropping a partition deletes no row."""
    for relation in table.model._meta.related_objects:
        field = relation.field
        pointing = relation.related_model._base_manager.filter(
            **{f"{field.name}__{table.column}__lt": cutoff}
        )
        if field.remote_field.on_delete is models.SET_NULL:
            pointing.update(**{field.name: None})
        else:
            pointing.delete()


def _delete_in_batches(rows: models.QuerySet[models.Model]) -> int:
    deleted = 0
    while batch := list(rows.values_list("pk", flat=True)[:BATCH]):
        rows.model._base_manager.filter(pk__in=batch).delete()
        deleted += len(batch)
    return deleted


def _cut_audit_trail(table: HistoryTable, cutoff: datetime) -> RetentionCut | None:
    """Remove the run of oldest events that ends before the first event at or after the cutoff
    (on PostgreSQL, whole months), so that what is kept is one unbroken chain."""
    lock_chain()
    partitioned = is_partitioned(table.key)
    if partitioned:
        cutoff = month_of(cutoff)
    events = AuditEvent.objects
    first_kept = events.filter(occurred_at__gte=cutoff).aggregate(id=Min("id"))["id"]
    if first_kept is None:
        first_kept = (events.aggregate(id=Max("id"))["id"] or 0) + 1
    removed = events.filter(id__lt=first_kept)
    span = removed.aggregate(start=Min("occurred_at"), rows=models.Count("id"))
    if not span["rows"]:
        return None
    last_removed = events.values_list("hash", flat=True).get(id=first_kept - 1)
    if partitioned:
        if events.filter(occurred_at__lt=cutoff).count() != span["rows"] or parked_before(
            table.key, table.column, cutoff
        ):
            logger.error(
                "Audit retention skipped: events before %s are not all older than the events "
                "kept, or wait in the default partition",
                cutoff.date(),
            )
            return None
        rows = sum(dropped.rows for dropped in drop_months_before(table.key, cutoff))
    else:
        rows = _delete_in_batches(removed)
    return _record_cut(
        table,
        span["start"],
        cutoff,
        rows,
        first_kept_id=first_kept,
        first_kept_prev_hash=last_removed,
    )


def _record_cut(
    table: HistoryTable, start: datetime, cutoff: datetime, rows: int, **chain: object
) -> RetentionCut:
    cut = RetentionCut.objects.create(
        applied_at=clock.now(),
        table=table.key,
        removed_from=start,
        removed_before=cutoff,
        rows=rows,
        **chain,
    )
    record_audit(actor=None, action=RETENTION_APPLIED, target=cut)
    logger.info("Retention removed %s rows of %s before %s", rows, table.key, cutoff.date())
    return cut
