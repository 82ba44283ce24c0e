"""Writing the people and places of an import unit: persons (new, updated, or matched by
identifier and name), their identifiers, contacts, addresses, referral profiles and family
links, locations, and practitioners' roles. Audit rows are collected here and written with
the unit's bookkeeping (unit_actions).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connection

from carebond.core.bulk import insert_rows
from carebond.core.models import Location
from carebond.interop.importing.unit_references import UnitWriterBase, chunks
from carebond.interop.importing.units import (
    PreparedResource,
    record_fields,
)
from carebond.interop.resources.records import LocationRecord, PersonRecord, RoleRecord
from carebond.people.actions import NPI_SYSTEM
from carebond.people.models import (
    Address,
    ContactPoint,
    Identifier,
    Person,
    ReferralSourceProfile,
    Relationship,
)
from carebond.people.search import normalize

_PERSON_FIELDS = (
    "given_name",
    "middle_name",
    "family_name",
    "prefix",
    "suffix",
    "preferred_name",
    "maiden_name",
    "name_text",
    "other_names",
    "organization_name",
    "birth_date",
    "deceased_date",
    "administrative_gender",
    "sex_assigned_at_birth",
    "preferred_language",
    "multiple_birth",
    "status",
)
_IDENTIFIER = ("system", "value", "type_code", "label")
_ADDRESS = ("use", "line1", "line2", "city", "state", "postal_code", "country")


class PeopleWriting(UnitWriterBase):
    # -- people

    def write_people(self, items: list[PreparedResource]) -> None:
        self._match_by_identifier([i for i in items if not i.existing])
        updates = [(int(i.existing.partition(":")[2]), i) for i in items if i.existing]
        people = Person.objects.in_bulk([pk for pk, _ in updates]) if updates else {}
        changes: dict[int, list[str]] = {}
        for pk, item in updates:
            person = people[pk]
            record = item.record
            assert isinstance(record, PersonRecord)
            # What the source leaves empty keeps what staff entered (a preferred name...).
            changed = [
                n
                for n, v in record.fields.items()
                if n in _PERSON_FIELDS and v not in ("", None, []) and getattr(person, n) != v
            ]
            for name in changed:
                setattr(person, name, record.fields[name])
            if not person.origin_id:
                person.origin_system, person.origin_id = self.context.source_system, item.origin_id
            person.imported_at, person.import_run = self.now, self.context.run.public_id
            item.target, item.outcome = f"person:{person.pk}", "updated"
            changes[pk] = changed
        creates = [i for i in items if not i.existing]
        new_people = []
        for item in creates:
            record = item.record
            assert isinstance(record, PersonRecord)
            new_people.append(
                Person(
                    organization=self.organization,
                    kind=record.kind,
                    origin_id=item.origin_id,
                    **{
                        n: v for n, v in record.fields.items() if v is not None or n == "birth_date"
                    },
                    **self._provenance(),
                )
            )
        Person.objects.bulk_create(new_people, batch_size=500)
        for item, person in zip(creates, new_people, strict=True):
            item.target, item.outcome = f"person:{person.pk}", "imported"
            people[person.pk] = person
            self.person_audit.append(
                (
                    person,
                    person if person.kind == "patient" else None,
                    [n for n, v in record_fields(item.record).items() if v],
                )
            )
        for person in people.values():
            self.person_kinds[person.pk] = person.kind
        for item in items:
            self._register(item)
        self.load_people(r.patient for i in items if (r := i.record).patient)  # type: ignore[union-attr]
        added = self._write_person_details(items, people)
        self._finish_updates(updates, people, changes, added)

    def _finish_updates(
        self,
        updates: list[tuple[int, PreparedResource]],
        people: dict[int, Person],
        changes: dict[int, list[str]],
        added: dict[int, set[str]],
    ) -> None:
        """An update that changed nothing CareBond keeps (another copy of the resource that
        differs in what is not imported: a usage counter) is unchanged: no row written, no
        audit event. Its source record still moves on to the new content."""
        changed_people = []
        for pk, item in updates:
            person = people[pk]
            changed = [*changes[pk], *sorted(added.get(pk, ()))]
            if not changed:
                item.outcome, item.record_only = "unchanged", True
                self.reindex.discard(pk)
                continue
            if pk in self.family_of:
                self.patients_touched[self.family_of[pk]].add(item.resource_type)
            changed_people.append(person)
            self.updated_audit.append(
                (person, person if person.kind == "patient" else None, changed)
            )
        Person.objects.bulk_update(
            changed_people,
            [
                *_PERSON_FIELDS,
                "origin_system",
                "origin_id",
                "imported_at",
                "import_run",
                "updated_at",
            ],
            batch_size=500,
        )

    def _match_by_identifier(self, items: list[PreparedResource]) -> None:
        """A resource not seen before, carrying an identifier CareBond has, is that person only
        if the names agree too (and the birth date, for patients and related persons)."""
        wanted = {(i.system, i.value) for item in items for i in item.record.identifiers}  # type: ignore[union-attr]
        if not wanted:
            return
        owners: dict[tuple[str, str], int] = {}
        for chunk in chunks(sorted({v for _, v in wanted})):
            for system, value, person_id in Identifier.objects.filter(
                organization=self.organization, value__in=chunk
            ).values_list("system", "value", "person_id"):
                if (system, value) in wanted:
                    owners[(system, value)] = person_id
        if not owners:
            return
        candidates = Person.objects.in_bulk(set(owners.values()))
        # One person answers one resource of this unit; a second look-alike is someone else.
        claimed = {int(i.existing.partition(":")[2]) for i in self.items if i.existing}
        for item in items:
            record = item.record
            assert isinstance(record, PersonRecord)
            for identifier in record.identifiers:
                person = candidates.get(owners.get((identifier.system, identifier.value), 0))
                if (
                    person is not None
                    and person.pk not in claimed
                    and _same_person(person, record, self.context.source_system, item.origin_id)
                ):
                    item.existing = f"person:{person.pk}"
                    claimed.add(person.pk)
                    break

    def _write_person_details(
        self, items: list[PreparedResource], people: dict[int, Person]
    ) -> dict[int, set[str]]:
        """Identifiers, contacts, addresses, profiles and family links the people of this unit
        bring that CareBond has not got yet. Returns what was added, per person."""
        org = self.organization
        targets = {id(i): int(i.target.partition(":")[2]) for i in items if i.target}
        ids = set(targets.values())
        taken: dict[tuple[str, str], int] = {}
        values = sorted({i.value for item in items for i in item.record.identifiers})  # type: ignore[union-attr]
        for chunk in chunks(values):
            for system, value, person_id in Identifier.objects.filter(
                organization=org, value__in=chunk
            ).values_list("system", "value", "person_id"):
                taken[(system, value)] = person_id
        contacts_had: dict[int, set[tuple[str, str]]] = defaultdict(set)
        addresses_had: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for person_id, system, value in ContactPoint.objects.filter(person_id__in=ids).values_list(
            "person_id", "system", "value"
        ):
            contacts_had[person_id].add((system, value))
        for person_id, line1, postal in Address.objects.filter(person_id__in=ids).values_list(
            "person_id", "line1", "postal_code"
        ):
            addresses_had[person_id].add((line1, postal))
        profiles = set(
            ReferralSourceProfile.objects.filter(person_id__in=ids).values_list(
                "person_id", flat=True
            )
        )
        # Plain rows for insert_rows: (organization, person, ...) in the column order below.
        new_identifiers: list[tuple[Any, ...]] = []
        new_contacts: list[tuple[Any, ...]] = []
        new_addresses: list[tuple[Any, ...]] = []
        new_profiles: list[tuple[Any, ...]] = []
        new_links = []
        added: dict[int, set[str]] = defaultdict(set)
        family = {
            targets[id(i)] for i in items if isinstance(i.record, PersonRecord) and i.record.patient
        }
        linked = (
            set(
                Relationship.objects.filter(related_id__in=family).values_list(
                    "patient_id", "related_id"
                )
            )
            if family
            else set()
        )
        for item in items:
            record = item.record
            assert isinstance(record, PersonRecord)
            person_id = targets[id(item)]
            mine: list[str] = []
            for identifier in record.identifiers:
                owner = taken.get((identifier.system, identifier.value))
                if owner is None:
                    taken[(identifier.system, identifier.value)] = person_id
                    mine.append(identifier.value)
                    new_identifiers.append(
                        (org.pk, person_id, *(getattr(identifier, c) for c in _IDENTIFIER))
                    )
                    added[person_id].add("identifier")
                elif owner != person_id:
                    # Someone else has it: not enough to call them the same person. The
                    # identifier still resolves references within this source (SourceKey).
                    self.context.shared[f"{item.resource_type}.identifier"] += 1
            rank = len(contacts_had[person_id])
            for contact in record.contacts:
                if (contact.system, contact.value) not in contacts_had[person_id]:
                    contacts_had[person_id].add((contact.system, contact.value))
                    rank += 1
                    new_contacts.append(
                        (org.pk, person_id, contact.system, contact.value, contact.use, rank)
                    )
                    added[person_id].add("telecom")
            rank = len(addresses_had[person_id])
            for address in record.addresses:
                if (address.line1, address.postal_code) not in addresses_had[person_id]:
                    addresses_had[person_id].add((address.line1, address.postal_code))
                    rank += 1
                    new_addresses.append(
                        (org.pk, person_id, rank, *(getattr(address, c) for c in _ADDRESS))
                    )
                    added[person_id].add("address")
            if (
                record.referral_type
                and person_id not in profiles
                and people[person_id].kind == "referral_source"
            ):
                profiles.add(person_id)
                npi = next((i.value for i in record.identifiers if i.system == NPI_SYSTEM), "")
                new_profiles.append(
                    (org.pk, person_id, record.referral_type, npi[:10], "", "", "", "")
                )
                added[person_id].add("referral_profile")
            if record.patient is not None:
                patient_id = self._quiet(record.patient)
                if self.person_kinds.get(patient_id or 0) != "patient":
                    self.context.dangling[record.patient.path] += 1
                    if patient_id is None:  # not imported yet: the link waits (unit_waiting)
                        self.wait_for(item, "patient", [record.patient])
                elif patient_id is not None and patient_id != person_id:
                    if (patient_id, person_id) not in linked:
                        added[person_id].add("patient")
                    # The patient's family changed when this person is new, or changed
                    # (an update: told by _finish_updates).
                    if item.outcome == "imported":
                        self.patients_touched[patient_id].add(item.resource_type)
                    self.family_of[person_id] = patient_id
                    new_links.append(
                        Relationship(
                            organization=org,
                            patient_id=patient_id,
                            related_id=person_id,
                            relationship=record.relationship,
                        )
                    )
            if item.outcome == "imported":
                self.index_new.append(
                    (
                        people[person_id],
                        mine,
                        [c.value for c in record.contacts if c.system == "phone"],
                        [c.value for c in record.contacts if c.system == "email"],
                    )
                )
            else:
                self.reindex.add(person_id)
        held_by = ["organization_id", "person_id"]
        insert_rows(Identifier, [*held_by, *_IDENTIFIER], new_identifiers)
        insert_rows(ContactPoint, [*held_by, "system", "value", "use", "rank"], new_contacts)
        insert_rows(Address, [*held_by, "rank", *_ADDRESS], new_addresses)
        profile_columns = ["source_type", "npi", "specialty", "practice_name", "affiliations"]
        insert_rows(
            ReferralSourceProfile, [*held_by, *profile_columns, "preferred_contact"], new_profiles
        )
        Relationship.objects.bulk_create(new_links, ignore_conflicts=True)
        return added

    # -- locations and roles

    def write_locations(self, items: list[PreparedResource]) -> None:
        names = set(
            Location.objects.filter(organization=self.organization).values_list("name", flat=True)
        )
        existing = Location.objects.in_bulk(
            [int(i.existing.partition(":")[2]) for i in items if i.existing]
        )
        creates = []
        for item in items:
            record = item.record
            assert isinstance(record, LocationRecord)
            location = existing.get(int(item.existing.partition(":")[2])) if item.existing else None
            if location is None:
                item.existing = None
                name = _free_name(record.name, record.address, names)
                names.add(name)
                location = Location(
                    organization=self.organization,
                    name=name,
                    address=record.address,
                    phone=record.phone,
                    origin_id=item.origin_id,
                    **self._provenance(),
                )
                creates.append((item, location))
                continue
            location.address, location.phone = record.address, record.phone
            location.imported_at, location.import_run = self.now, self.context.run.public_id
            location.save(
                update_fields=["address", "phone", "imported_at", "import_run", "updated_at"]
            )
            item.target, item.outcome = f"location:{location.pk}", "updated"
        Location.objects.bulk_create([loc for _, loc in creates], batch_size=500)
        for item, location in creates:
            item.target, item.outcome = f"location:{location.pk}", "imported"
        for item in items:
            self._register(item)

    def write_roles(self, items: list[PreparedResource]) -> None:
        """A PractitionerRole adds the specialty and practice to the practitioner's profile."""
        profiles = []
        for item in items:
            record = item.record
            assert isinstance(record, RoleRecord)
            # Not imported yet: the role waits for its practitioner (unit_waiting).
            person_id = self.resolve(record.practitioner, waiting=(item, "role"))
            item.outcome = "updated" if item.existing else "imported"
            if person_id is None:
                item.target = "role:-"
                continue
            item.target = f"role:{person_id}"
            profiles.append((person_id, record))
        by_person = {
            p.person_id: p
            for p in ReferralSourceProfile.objects.filter(person_id__in=[p for p, _ in profiles])
        }
        changed = []
        for person_id, record in profiles:
            profile = by_person.get(person_id)
            if profile is not None:
                specialty = record.specialty or profile.specialty
                practice = record.practice_name or profile.practice_name
                changed.append((specialty, practice, profile.pk))
        table = ReferralSourceProfile._meta.db_table
        with connection.cursor() as cursor:  # one statement, many rows: bulk_update's CASE is slow
            cursor.executemany(
                f"UPDATE {table} SET specialty = %s, practice_name = %s WHERE id = %s",  # noqa: S608
                changed,
            )

    # -- what points at patients


def _same_person(person: Person, record: PersonRecord, source_system: str, origin_id: str) -> bool:
    if person.status == "merged" or person.kind != record.kind:
        return False
    if person.origin_system == source_system and person.origin_id and person.origin_id != origin_id:
        return False  # another resource of the same source: two people
    fields = record.fields
    if record.kind == "referral_source" and record.referral_type == "organization":
        return normalize(person.organization_name) == normalize(fields.get("organization_name", ""))
    # Given and family name both (twins share the rest), and for patients the birth date too.
    same_name = normalize(person.family_name) == normalize(
        fields.get("family_name", "")
    ) != "" and normalize(person.given_name) == normalize(fields.get("given_name", ""))
    if not (fields.get("family_name") or fields.get("given_name")):  # a name sent whole
        same_name = normalize(person.name_text) == normalize(fields.get("name_text", "")) != ""
    if record.kind in {"patient", "related"}:
        return (
            same_name
            and person.birth_date is not None
            and person.birth_date == fields.get("birth_date")
        )
    return same_name


def _free_name(name: str, address: str, taken: set[str]) -> str:
    """Location names are unique per organisation; two sites of one name get their town."""
    if name not in taken:
        return name
    town = address.split(", ")[-3] if address.count(", ") >= 2 else address
    candidate = f"{name} ({town})"[:200] if town else name
    number = 2
    while candidate in taken:
        candidate = f"{name} ({town} {number})"[:200]
        number += 1
    return candidate
