"""References that wait for what they point at (PendingReference): files from other EHRs come
in any order, so what a resource points at may arrive in a later file or run of the same source.

What waits, and what it gets when its target arrives:

- a visit's practitioner or location (``staff``, ``location``): the visit's field;
- a role's practitioner (``role``): the role's specialty and practice on the practitioner's
  referral profile (a role has no row of its own: its holder is a hash of its id);
- a related person's patient (``patient``): the link to the patient, with the relationship;
- the patient of a resource kept whole (``stored_patient``): the row's patient, and the
  reference in the kept resource then points at the patient's CareBond id.

Audit (written with the unit's bookkeeping, unit_actions): interop.references_filled per patient
whose visits, family links or kept resources got what they waited for, naming the fields.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import orjson
from django.db import connection

from carebond.core.bulk import insert_rows
from carebond.core.fhir.parsing import Ref
from carebond.interop.importing.unit_references import UnitWriterBase, chunks
from carebond.interop.importing.units import PreparedResource, reference_keys
from carebond.interop.models import PendingReference, StoredResource
from carebond.interop.resources.records import PersonRecord, RoleRecord
from carebond.people.models import (
    Person,
    ReferralSourceProfile,
    Relationship,
    RelationshipType,
)
from carebond.touchpoints.models import Touchpoint

# The kind of row each waiting field wants its target to be.
_WANTS = {
    "staff": "person",
    "location": "location",
    "role": "person",
    "patient": "patient",
    "stored_patient": "patient",
}


def role_holder(origin_id: str) -> str:
    """A role's holder name: it has no row, and its id may be longer than the column."""
    return "role:" + hashlib.blake2b(origin_id.encode(), digest_size=16).hexdigest()


class WaitingReferences(UnitWriterBase):
    def _holder(self, item: PreparedResource, field: str) -> str | None:
        if field == "role":
            return role_holder(item.origin_id)
        return item.target

    def _payload(self, item: PreparedResource, field: str) -> dict[str, Any]:
        record = item.record
        if field == "role" and isinstance(record, RoleRecord):
            return {"specialty": record.specialty, "practice_name": record.practice_name}
        if field == "patient" and isinstance(record, PersonRecord):
            return {"relationship": record.relationship}
        return {}

    def record_waiting(self, done: list[PreparedResource]) -> None:
        """What this unit wrote waits for what it could not find yet, replacing what the same
        rows (or roles) waited for before."""
        org, system = self.organization, self.context.source_system
        if self.references_may_wait():
            holders = {i.target for i in done if i.target} | {
                i.replaced for i in done if i.replaced
            }
            holders |= {role_holder(i.origin_id) for i in done if isinstance(i.record, RoleRecord)}
            for chunk in chunks(sorted(h for h in holders if h)):
                PendingReference.objects.filter(organization=org, holder__in=chunk).delete()
        rows = {}
        for item, field, keys in self.waiting:
            holder = self._holder(item, field)
            if holder:
                for key in keys:
                    rows[(key[:400], holder, field)] = self._payload(item, field)
        if rows:
            as_json = PendingReference._meta.get_field("payload").get_db_prep_save
            insert_rows(
                PendingReference,
                ["organization_id", "origin_system", "key", "holder", "field", "payload"],
                [
                    (org.pk, system, key, holder, field, as_json(payload, connection))
                    for (key, holder, field), payload in sorted(rows.items())
                ],
            )
            self.context.pending = True

    def fill_waiting(self, done: list[PreparedResource]) -> None:
        """What waited for a resource this unit imported gets it (see the module docstring)."""
        if not self.references_may_wait():
            return
        arrived: dict[str, tuple[str, int]] = {}  # key -> (kind, row id)
        for item in done:
            kind, _, number = (item.target or "").partition(":")
            if kind not in {"person", "location"}:
                continue
            if kind == "person" and isinstance(item.record, PersonRecord):
                kind = "patient" if item.record.kind == "patient" else "person"
            for key in item.local_keys:
                arrived[key[:400]] = (kind, int(number))
        found: dict[str, list[tuple[str, int, dict[str, Any]]]] = defaultdict(list)
        org, system = self.organization, self.context.source_system
        for chunk in chunks(sorted(arrived)):
            waiting = PendingReference.objects.filter(
                organization=org, origin_system=system, key__in=chunk
            ).values_list("key", "holder", "field", "payload")
            for key, holder, field, payload in waiting:
                kind, target = arrived[key]
                wanted = _WANTS.get(field, "")
                if kind == wanted or (wanted == "person" and kind == "patient" and field != "role"):
                    found[field].append((holder, target, payload or {}))
        if not found:
            return
        about: dict[int, set[str]] = defaultdict(set)  # patient -> what was filled in
        for field in ("staff", "location"):
            self._fill_visits(field, found.get(field, []), about)
        self._fill_roles(found.get("role", []))
        self._fill_family(found.get("patient", []), about)
        self._fill_kept(found.get("stored_patient", []), arrived, about)
        filled = {(holder, field) for field, rows in found.items() for holder, _, _ in rows}
        for field in {f for _, f in filled}:
            holders = sorted(h for h, f in filled if f == field)
            for chunk in chunks(holders):
                PendingReference.objects.filter(
                    organization=org, holder__in=chunk, field=field
                ).delete()
        for patient_id, fields in about.items():
            self.filled[patient_id] |= fields  # audited with the unit (unit_actions)

    def _fill_visits(
        self, field: str, rows: list[tuple[str, int, Any]], about: dict[int, set[str]]
    ) -> None:
        by_target: dict[int, set[int]] = defaultdict(set)
        for holder, target, _ in rows:
            by_target[target].add(int(holder.partition(":")[2]))
        for target, visits in by_target.items():
            waiting = Touchpoint.objects.filter(
                organization=self.organization, pk__in=visits, **{field: None}
            )
            for person_id in waiting.values_list("person_id", flat=True):
                about[person_id].add(f"visit.{field}")
            waiting.update(**{f"{field}_id": target})

    def _fill_roles(self, rows: list[tuple[str, int, dict[str, Any]]]) -> None:
        """The role's specialty and practice on the practitioner's profile (as write_roles)."""
        profiles = {
            p.person_id: p
            for p in ReferralSourceProfile.objects.filter(
                organization=self.organization, person_id__in=[t for _, t, _ in rows]
            )
        }
        changed = []
        for _, target, payload in rows:
            profile = profiles.get(target)
            if profile is None:
                continue
            profile.specialty = str(payload.get("specialty") or profile.specialty)[:120]
            practice = payload.get("practice_name") or profile.practice_name
            profile.practice_name = str(practice)[:200]
            changed.append(profile)
        ReferralSourceProfile.objects.bulk_update(changed, ["specialty", "practice_name"])

    def _fill_family(
        self, rows: list[tuple[str, int, dict[str, Any]]], about: dict[int, set[str]]
    ) -> None:
        links = []
        for holder, patient_id, payload in rows:
            links.append(
                Relationship(
                    organization=self.organization,
                    patient_id=patient_id,
                    related_id=int(holder.partition(":")[2]),
                    relationship=payload.get("relationship") or RelationshipType.OTHER,
                )
            )
            about[patient_id].add("related_person.patient")
        Relationship.objects.bulk_create(links, ignore_conflicts=True)

    def _fill_kept(
        self,
        rows: list[tuple[str, int, Any]],
        arrived: dict[str, tuple[str, int]],
        about: dict[int, set[str]],
    ) -> None:
        """The kept resource is the patient's now, and its references to them say so."""
        patient_of = {int(holder.partition(":")[2]): target for holder, target, _ in rows}
        kept = StoredResource.objects.filter(
            organization=self.organization, pk__in=patient_of, person=None
        )
        public_ids = dict(
            Person.objects.filter(pk__in=set(patient_of.values())).values_list("pk", "public_id")
        )
        for row in kept:
            patient_id = patient_of[row.pk]
            keys = {k for k, (kind, pk) in arrived.items() if (kind, pk) == ("patient", patient_id)}
            body = orjson.loads(row.body) if row.body else {}
            reference = f"Patient/{public_ids[patient_id]}"
            row.body = orjson.dumps(_point_at(body, keys, reference, self.base)).decode()
            row.person_id = patient_id
            row.save(update_fields=["person", "body"])
            about[patient_id].add(f"{row.resource_type}.patient")


def _point_at(value: Any, keys: set[str], reference: str, base: str) -> Any:
    """References in a kept resource that name the arrived patient now name its CareBond id."""
    if isinstance(value, list):
        return [_point_at(v, keys, reference, base) for v in value]
    if not isinstance(value, dict):
        return value
    result = {k: _point_at(v, keys, reference, base) for k, v in value.items()}
    written = value.get("reference")
    if (
        isinstance(written, str)
        and set(reference_keys(Ref("", reference=written), base=base)) & keys
    ):
        result["reference"] = reference
    return result
