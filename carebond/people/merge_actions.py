"""Merging duplicate records, and undoing a merge within 30 days.

A merge moves every row that hangs off the duplicate to the surviving record: the rows of every
person relation registered in core's registry (this app's contacts, consents, history and the
rest, and every other app's rows that point at a person, each registered by its own app). It
remembers each moved row's id, so that an undo moves back exactly those rows and nothing else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import RuleViolation
from carebond.core.registry import PersonRelation, person_relations
from carebond.people.models import (
    Address,
    ContactPoint,
    ContactSystem,
    DistinctPair,
    MergeRecord,
    Person,
    PersonKind,
    PersonStatus,
)
from carebond.people.search import index_person

if TYPE_CHECKING:
    from carebond.accounts.models import User

UNDO_WINDOW = timedelta(days=30)


def _lock(*people: Person) -> list[Person]:
    """Lock both records in a fixed order (by id) so two merges cannot deadlock."""
    ids = sorted(p.pk for p in people)
    return list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def check_merge_people(survivor: Person, duplicate: Person, *, acting_user: User) -> MergeRecord:
    locked = {p.pk: p for p in _lock(survivor, duplicate)}
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if survivor.pk == duplicate.pk:
        raise RuleViolation("A record cannot be merged with itself.", code="merge_self")
    if survivor.organization_id != duplicate.organization_id:
        raise RuleViolation(
            "Records of different organisations cannot be merged.", code="merge_cross_org"
        )
    if survivor.kind != duplicate.kind:
        raise RuleViolation(
            f"A {survivor.get_kind_display().lower()} and a "
            f"{duplicate.get_kind_display().lower()} cannot be merged.",
            code="merge_kinds",
        )
    if PersonStatus.MERGED in (survivor.status, duplicate.status):
        raise RuleViolation("One of these records was already merged.", code="merge_merged")
    return do_merge_people(survivor, duplicate, acting_user=acting_user)


@transaction.atomic
def do_merge_people(survivor: Person, duplicate: Person, *, acting_user: User) -> MergeRecord:
    """Audit: person.merged (on both records). Side effects: both records re-indexed."""
    moved: dict[str, list[int]] = {}
    for relation in person_relations():
        ids = _rows_to_move(relation, duplicate=duplicate, survivor=survivor)
        if ids:
            relation.model._default_manager.filter(pk__in=ids).update(**{relation.field: survivor})
            moved[relation.key] = ids
    record = MergeRecord.objects.create(
        organization_id=survivor.organization_id,
        survivor=survivor,
        merged=duplicate,
        moved={**moved, "_status": [duplicate.status]},
        merged_at=clock.now(),
        merged_by=acting_user,
    )
    duplicate.status, duplicate.merged_into = PersonStatus.MERGED, survivor
    duplicate.save(update_fields=["status", "merged_into", "updated_at"])
    close_ranks(survivor)
    index_person(survivor)
    index_person(duplicate)
    patient = survivor if survivor.kind == PersonKind.PATIENT else None
    changed = sorted(key.split(".")[1] for key in moved)
    record_audit(
        actor=acting_user,
        action="person.merged",
        target=survivor,
        patient=patient,
        changed_fields=changed,
    )
    record_audit(
        actor=acting_user,
        action="person.merged_away",
        target=duplicate,
        patient=duplicate if patient else None,
        changed_fields=["status"],
    )
    return record


def close_ranks(person: Person) -> None:
    """Number a person's addresses, and phones and emails of each kind, 1, 2, 3 again after
    rows came or went (the pages address them by their rank)."""
    _renumber(Address, list(Address.objects.filter(person=person).order_by("rank", "id")))
    for system in (ContactSystem.PHONE, ContactSystem.EMAIL):
        points = ContactPoint.objects.filter(person=person, system=system).order_by("rank", "id")
        _renumber(ContactPoint, list(points))


def _renumber(model: type[Address] | type[ContactPoint], rows: list[Any]) -> None:
    for rank, row in enumerate(rows, start=1):
        if row.rank != rank:
            model._default_manager.filter(pk=row.pk).update(rank=rank)


def _rows_to_move(relation: PersonRelation, *, duplicate: Person, survivor: Person) -> list[int]:
    """The ids of the duplicate's rows of one relation that can move to the survivor."""
    manager = relation.model._default_manager
    if relation.one_per_person and manager.filter(**{relation.field: survivor}).exists():
        return []  # the survivor has its own profile: the duplicate's stays with it
    rows = manager.filter(**{relation.field: duplicate})
    if relation.other_person:
        # A link between the two records themselves would point a person at themselves.
        rows = rows.exclude(**{relation.other_person: survivor})
    ids = list(rows.values_list("pk", *relation.unique_with))
    if not relation.unique_with:
        return [row[0] for row in ids]
    # A row the survivor already has (same other fields) stays behind: it says nothing new and
    # would break the unique constraint.
    taken = set(manager.filter(**{relation.field: survivor}).values_list(*relation.unique_with))
    return [row[0] for row in ids if tuple(row[1:]) not in taken]


@transaction.atomic
def check_undo_merge(record: MergeRecord, *, acting_user: User) -> MergeRecord:
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.undone_at is not None:
        raise RuleViolation("This merge was already undone.", code="merge_undone")
    if record.survivor.status == PersonStatus.MERGED:
        raise RuleViolation(
            f"{record.survivor.display_name} was merged again since; undo that merge first.",
            code="merge_chained",
        )
    if clock.now() - record.merged_at > UNDO_WINDOW:
        raise RuleViolation(
            "A merge can be undone for 30 days; this one is older.", code="merge_too_old"
        )
    return do_undo_merge(record, acting_user=acting_user)


@transaction.atomic
def do_undo_merge(record: MergeRecord, *, acting_user: User) -> MergeRecord:
    """Audit: person.unmerged (on both records). Moves back exactly the rows the merge moved."""
    survivor, merged = _lock(record.survivor, record.merged)
    if survivor.pk != record.survivor_id:
        survivor, merged = merged, survivor
    relations = {relation.key: relation for relation in person_relations()}
    for key, ids in record.moved.items():
        if key in relations:
            model, field = relations[key].model, relations[key].field
            # Only rows still on the survivor: later changes elsewhere are not undone.
            model._default_manager.filter(pk__in=ids, **{field: survivor}).update(**{field: merged})
    close_ranks(survivor)
    close_ranks(merged)
    merged.status = record.moved.get("_status", [PersonStatus.ACTIVE])[0]
    merged.merged_into = None
    merged.save(update_fields=["status", "merged_into", "updated_at"])
    record.undone_at, record.undone_by = clock.now(), acting_user
    record.save(update_fields=["undone_at", "undone_by"])
    index_person(survivor)
    index_person(merged)
    for person in (survivor, merged):
        record_audit(
            actor=acting_user,
            action="person.unmerged",
            target=person,
            patient=person if person.kind == PersonKind.PATIENT else None,
            changed_fields=["status"] if person is merged else [],
        )
    return record


@transaction.atomic
def check_mark_distinct(first: Person, second: Person, *, acting_user: User) -> DistinctPair:
    """Audit: person.marked_distinct (on both records). The pair leaves the duplicates list
    for good; records of two organisations, or one record twice, are refused."""
    if first.pk == second.pk or first.organization_id != second.organization_id:
        raise RuleViolation("Choose two records of your organisation.", code="distinct_pair")
    low, high = sorted((first, second), key=lambda p: p.pk)
    pair, _ = DistinctPair.objects.get_or_create(
        organization_id=low.organization_id,
        first=low,
        second=high,
        defaults={"decided_at": clock.now(), "decided_by": acting_user},
    )
    for person in (low, high):
        record_audit(
            actor=acting_user,
            action="person.marked_distinct",
            target=person,
            patient=person if person.kind == PersonKind.PATIENT else None,
        )
    return pair
