"""Duplicates and merge: candidates, moving all history, undo within 30 days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.errors import RuleViolation
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.actions import (
    AddressInput,
    check_add_address,
    check_add_personal_note,
    check_record_consent,
    check_remove_address,
)
from carebond.people.merge_actions import check_merge_people, check_undo_merge
from carebond.people.models import Person, PersonStatus
from carebond.people.selectors import list_duplicate_candidates
from carebond.people.tests.factories import make_patient, make_staff, people_found
from carebond.touchpoints.actions import record_touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(org_a: Organization, admin_a: User) -> tuple[Person, Person]:
    """One woman registered twice: once with a typo in her given name."""
    first = make_patient(
        org_a, "Catherine", "Nguyen", birth_date=date(1972, 5, 14), phone="2175550111", mrn="A-1"
    )
    second = make_patient(
        org_a,
        "Katherine",
        "Nguyen",
        birth_date=date(1972, 5, 14),
        email="kate.n@example.org",
        mrn="B-7",
    )
    for person in (first, second):
        record_touchpoint(person, kind="visit", channel="in_person", direction="inbound")
    check_record_consent(
        second,
        channel="email",
        purpose="survey",
        status="granted",
        method="portal",
        acting_user=admin_a,
    )
    check_add_personal_note(second, text="Prefers morning calls", acting_user=admin_a)
    return first, second


def test_candidates_pair_the_same_birth_date_and_a_similar_name(
    twins: tuple[Person, Person], org_a: Organization, admin_a: User
) -> None:
    make_patient(org_a, "Robert", "Nguyen", birth_date=date(1972, 5, 14))  # same date, other name
    pairs = list_duplicate_candidates(user=admin_a)
    assert [(p.first, p.second) for p in pairs] == [twins]
    assert "same birth date" in pairs[0].reasons


@pytest.mark.parametrize("family", ["Evans", "Garcia", "Smith", "Adams"])
def test_a_one_letter_typo_in_the_given_name_pairs_whatever_the_family_name(
    org_a: Organization, admin_a: User, family: str
) -> None:
    born = date(1990, 2, 3)
    first = make_patient(org_a, "Catherine", family, birth_date=born)
    second = make_patient(org_a, "Katherine", family, birth_date=born)
    pairs = list_duplicate_candidates(user=admin_a)
    assert [(p.first, p.second) for p in pairs] == [(first, second)]
    assert pairs[0].score >= 85


def test_twins_sharing_a_birth_date_phone_and_family_name_are_not_paired(
    org_a: Organization, admin_a: User
) -> None:
    born = date(2015, 6, 1)
    make_patient(org_a, "Emma", "Johnson", birth_date=born, phone="2175550100")
    make_patient(org_a, "Liam", "Johnson", birth_date=born, phone="2175550100")
    assert list_duplicate_candidates(user=admin_a) == []


def test_a_name_entered_the_wrong_way_round_is_paired(org_a: Organization, admin_a: User) -> None:
    born = date(1970, 8, 9)
    first = make_patient(org_a, "Catherine", "Evans", birth_date=born, phone="2175550101")
    second = make_patient(org_a, "Evans", "Catherine", birth_date=born, phone="2175550101")
    pairs = list_duplicate_candidates(user=admin_a)
    assert [(p.first, p.second, p.score) for p in pairs] == [(first, second, 100)]


def test_merge_moves_all_history_to_the_survivor(
    twins: tuple[Person, Person], admin_a: User
) -> None:
    survivor, duplicate = twins
    check_merge_people(survivor, duplicate, acting_user=admin_a)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert survivor.touchpoints.count() == 2
    assert survivor.consents.count() == 1
    assert survivor.personal_notes.get().text == "Prefers morning calls"
    assert set(survivor.identifiers.values_list("value", flat=True)) == {"A-1", "B-7"}
    assert set(survivor.contact_points.values_list("value", flat=True)) == {
        "+12175550111",
        "kate.n@example.org",
    }
    assert duplicate.status == PersonStatus.MERGED
    assert duplicate.merged_into == survivor
    assert not duplicate.touchpoints.exists()
    # search finds the survivor by the duplicate's details, and never the merged record
    assert people_found(admin_a, "B-7") == [survivor]
    assert people_found(admin_a, "Katherine") == [survivor]
    assert AuditEvent.objects.filter(
        action="person.merged", target_id=str(survivor.public_id)
    ).exists()


def test_undo_puts_back_exactly_what_moved(twins: tuple[Person, Person], admin_a: User) -> None:
    survivor, duplicate = twins
    record = check_merge_people(survivor, duplicate, acting_user=admin_a)
    # a touchpoint logged on the survivor after the merge stays there
    later = record_touchpoint(survivor, kind="call", channel="phone", direction="outbound")
    check_undo_merge(record, acting_user=admin_a)
    duplicate.refresh_from_db()
    assert duplicate.status == PersonStatus.ACTIVE
    assert duplicate.merged_into is None
    assert duplicate.touchpoints.count() == 1
    assert later in survivor.touchpoints.all()
    assert survivor.touchpoints.count() == 2
    assert duplicate.identifiers.get().value == "B-7"
    assert people_found(admin_a, "B-7") == [duplicate]
    with pytest.raises(RuleViolation, match="already undone"):
        check_undo_merge(record, acting_user=admin_a)


def test_undo_is_refused_after_30_days(twins: tuple[Person, Person], admin_a: User) -> None:
    record = check_merge_people(*twins, acting_user=admin_a)
    with (
        time_machine.travel(clock.now() + timedelta(days=31), tick=False),
        pytest.raises(RuleViolation, match="30 days"),
    ):
        check_undo_merge(record, acting_user=admin_a)


def test_merge_refuses_other_kinds_and_merged_records(
    twins: tuple[Person, Person], org_a: Organization, admin_a: User
) -> None:
    staff = make_staff(org_a)
    with pytest.raises(RuleViolation, match="cannot be merged"):
        check_merge_people(twins[0], staff, acting_user=admin_a)
    check_merge_people(*twins, acting_user=admin_a)
    with pytest.raises(RuleViolation, match="already merged"):
        check_merge_people(twins[1], twins[0], acting_user=admin_a)


def test_merge_page_compares_and_merges(
    client_for: Callable[[User], Client], twins: tuple[Person, Person], users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.FRONT_DESK])
    first, second = twins
    url = f"/people/merge/{first.public_id}/{second.public_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Catherine Nguyen" in page.content.decode()
    assert "Katherine Nguyen" in page.content.decode()
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"survivor": str(second.public_id)})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.merged_into == second
    undo_page = client.get("/people/duplicates/").content.decode()
    assert "Undo" in undo_page


def test_outsiders_and_clinicians_cannot_merge(
    client_for: Callable[[User], Client],
    twins: tuple[Person, Person],
    outsider_b: User,
    users_a: dict[str, User],
) -> None:
    first, second = twins
    url = f"/people/merge/{first.public_id}/{second.public_id}/"
    assert client_for(outsider_b).post(url, {"survivor": str(first.public_id)}).status_code == 404
    assert client_for(users_a[Role.CLINICIAN]).get(url).status_code == 403
    second.refresh_from_db()
    assert second.status == PersonStatus.ACTIVE


def test_a_chained_merge_is_undone_newest_first(org_a: Organization, admin_a: User) -> None:
    a = make_patient(org_a, "Ann", "Tran", mrn="A-1")
    b = make_patient(org_a, "Ann", "Tran", mrn="B-1")
    c = make_patient(org_a, "Ann", "Tran", mrn="C-1")
    first = check_merge_people(b, a, acting_user=admin_a)  # A into B
    second = check_merge_people(c, b, acting_user=admin_a)  # B (with A's MRN) into C
    with pytest.raises(RuleViolation, match="undo that merge first"):
        check_undo_merge(first, acting_user=admin_a)
    check_undo_merge(second, acting_user=admin_a)
    check_undo_merge(first, acting_user=admin_a)
    for person, mrn in ((a, "A-1"), (b, "B-1"), (c, "C-1")):
        assert list(person.identifiers.values_list("value", flat=True)) == [mrn]


def test_a_merged_record_refuses_changes(twins: tuple[Person, Person], admin_a: User) -> None:
    survivor, duplicate = twins
    check_merge_people(survivor, duplicate, acting_user=admin_a)
    with pytest.raises(RuleViolation, match="make the change there"):
        check_record_consent(
            duplicate,
            channel="sms",
            purpose="appointment",
            status="revoked",
            method="verbal",
            acting_user=admin_a,
        )


def test_merging_two_relatives_does_not_relate_a_person_to_themselves(
    org_a: Organization, admin_a: User
) -> None:
    from carebond.people.actions import PersonInput, check_add_related_person
    from carebond.people.models import Relationship

    patient = make_patient(org_a, "Luis", "Lopez")
    link = check_add_related_person(
        patient,
        PersonInput(kind="related", given_name="Rosa", family_name="Lopez"),
        relationship="SPS",
        acting_user=admin_a,
    )
    other = make_patient(org_a, "Luis", "Lopes")
    check_add_related_person(
        other,
        PersonInput(kind="related", given_name="Rosa", family_name="Lopes"),
        relationship="SPS",
        acting_user=admin_a,
    )
    # a record linked to the survivor is merged into it
    Relationship.objects.create(
        organization=org_a, patient=other, related=patient, relationship="O"
    )
    check_merge_people(patient, other, acting_user=admin_a)
    assert not Relationship.objects.filter(patient=patient, related=patient).exists()
    assert link in Relationship.objects.filter(patient=patient)


def test_search_finds_the_survivor_by_the_merged_records_name(
    org_a: Organization, admin_a: User
) -> None:
    keep = make_patient(org_a, "Ann", "Nguyen", birth_date=date(1970, 1, 1))
    gone = make_patient(org_a, "Ann", "Tran", birth_date=date(1970, 1, 1))
    record = check_merge_people(keep, gone, acting_user=admin_a)
    assert people_found(admin_a, "Tran") == [keep]
    check_undo_merge(record, acting_user=admin_a)
    assert people_found(admin_a, "Tran") == [gone]


def test_the_same_visit_on_both_records_shows_once_after_a_merge(
    org_a: Organization, admin_a: User
) -> None:
    # given one visit recorded on both records of one person (two feeds, or logged twice)
    survivor = make_patient(org_a, "Ana", "Silva", birth_date=date(1970, 2, 3))
    duplicate = make_patient(org_a, "Anna", "Silva", birth_date=date(1970, 2, 3))
    when = clock.now() - timedelta(days=3)
    for person in (survivor, duplicate):
        record_touchpoint(
            person, kind="visit", channel="in_person", direction="inbound", occurred_at=when
        )
    record_touchpoint(duplicate, kind="call", channel="phone", direction="outbound")
    # when they are merged
    record = check_merge_people(survivor, duplicate, acting_user=admin_a)
    # then the survivor's timeline has the visit once, and the call
    assert sorted(survivor.touchpoints.values_list("kind", flat=True)) == ["call", "visit"]
    # and an undo gives the duplicate back exactly what it had
    check_undo_merge(record, acting_user=admin_a)
    assert sorted(duplicate.touchpoints.values_list("kind", flat=True)) == ["call", "visit"]


def test_the_compare_page_counts_what_each_record_holds(
    twins: tuple[Person, Person], client_for: Callable[[User], Client], admin_a: User
) -> None:
    first, second = twins
    page = client_for(admin_a).get(f"/people/merge/{first.public_id}/{second.public_id}/")
    body = page.content.decode()
    assert "1 consent records" in body or "1 consent record" in body
    assert "1 personal notes" in body or "1 personal note" in body
    assert body.count("1 touchpoints") == 2


def test_not_the_same_person_removes_the_pair_for_good(
    twins: tuple[Person, Person], client_for: Callable[[User], Client], admin_a: User
) -> None:
    first, second = twins
    assert list_duplicate_candidates(user=admin_a) != []
    response = client_for(admin_a).post(
        f"/people/merge/{first.public_id}/{second.public_id}/distinct/"
    )
    assert response.status_code == 302
    assert list_duplicate_candidates(user=admin_a) == []
    assert AuditEvent.objects.filter(action="person.marked_distinct").count() == 2
    # both records are untouched
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == PersonStatus.ACTIVE


def test_after_a_merge_each_address_and_phone_has_its_own_rank(
    org_a: Organization, admin_a: User
) -> None:
    # given two records with one address and one phone each (both ranked first)
    survivor = make_patient(org_a, "Ana", "Silva", birth_date=date(1970, 2, 3), phone="2175550101")
    duplicate = make_patient(
        org_a, "Anna", "Silva", birth_date=date(1970, 2, 3), phone="2175550102"
    )
    for person, street in ((survivor, "1 Survivor St"), (duplicate, "2 Duplicate Ave")):
        check_add_address(person, AddressInput(line1=street), acting_user=admin_a)
    # when they are merged
    check_merge_people(survivor, duplicate, acting_user=admin_a)
    # then the pages can tell them apart by rank, and removing the second removes the second
    assert list(survivor.addresses.order_by("rank").values_list("rank", "line1")) == [
        (1, "1 Survivor St"),
        (2, "2 Duplicate Ave"),
    ]
    assert sorted(survivor.contact_points.values_list("rank", flat=True)) == [1, 2]
    check_remove_address(survivor, rank=2, line1_was="2 Duplicate Ave", acting_user=admin_a)
    assert list(survivor.addresses.values_list("line1", flat=True)) == ["1 Survivor St"]


def test_two_different_calls_at_the_same_minute_both_reach_the_survivor(
    org_a: Organization, admin_a: User
) -> None:
    survivor = make_patient(org_a, "Ana", "Silva", birth_date=date(1970, 2, 3))
    duplicate = make_patient(org_a, "Anna", "Silva", birth_date=date(1970, 2, 3))
    when = clock.now() - timedelta(hours=2)
    record_touchpoint(
        survivor,
        kind="call",
        channel="phone",
        direction="outbound",
        occurred_at=when,
        summary="Lab results discussed",
    )
    record_touchpoint(
        duplicate,
        kind="call",
        channel="phone",
        direction="inbound",
        occurred_at=when,
        summary="Reports chest pain; told to go to ED",
    )
    check_merge_people(survivor, duplicate, acting_user=admin_a)
    assert sorted(survivor.touchpoints.values_list("direction", flat=True)) == [
        "inbound",
        "outbound",
    ]
