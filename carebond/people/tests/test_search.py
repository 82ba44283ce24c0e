"""The one search box: names with a typo, preferred names, birth dates, MRNs, phones, emails."""

from __future__ import annotations

from datetime import date

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.actions import check_update_person
from carebond.people.models import Person
from carebond.people.search import parse_query
from carebond.people.tests.factories import make_patient, make_staff, people_found

pytestmark = pytest.mark.django_db


@pytest.fixture
def people_a(org_a: Organization) -> dict[str, object]:
    return {
        "maria": make_patient(
            org_a,
            "Maria",
            "Lopez",
            phone="(217) 555-0134",
            email="maria.lopez@example.org",
            mrn="A-1001",
            preferred_name="Mari",
            birth_date=date(1984, 3, 7),
        ),
        "mario": make_patient(org_a, "Mario", "Lopes", birth_date=date(1990, 1, 2)),
        "johnson": make_patient(org_a, "Ellen", "Johnson", birth_date=date(1951, 11, 30)),
        "staff": make_staff(org_a, "Priya", "Raman"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lop", {"maria", "mario"}),  # prefix of a family name
        ("ellen john", {"johnson"}),  # every word must match
        ("john ell", {"johnson"}),  # in either order
        ("mari", {"maria", "mario"}),  # prefix of given and preferred names
        ("Jonhson", {"johnson"}),  # two letters swapped: one typo
        ("Johnsen", {"johnson"}),  # one letter wrong
        ("Jhnson", {"johnson"}),  # one letter missing
        ("1984-03-07", {"maria"}),  # birth date, ISO
        ("03/07/1984", {"maria"}),  # birth date as US forms write it
        ("A-1001", {"maria"}),  # MRN
        ("2175550134", {"maria"}),  # phone, national digits
        ("(217) 555-0134", {"maria"}),  # phone as written
        ("555-0134", {"maria"}),  # without the area code
        ("maria.lopez@ex", {"maria"}),  # email prefix
        ("raman", {"staff"}),  # staff are found too
        ("José", set()),  # nobody, and no error
    ],
)
def test_search_finds_the_right_people(
    people_a: dict[str, object], users_a: dict[str, User], query: str, expected: set[str]
) -> None:
    found = people_found(users_a[Role.FRONT_DESK], query)
    names = {key for key, person in people_a.items() if person in found}
    assert names == expected


def test_a_typo_is_corrected_only_when_nothing_starts_with_the_word(
    people_a: dict[str, object], admin_a: User
) -> None:
    # "maria" and "lopez" both start real names: no near-misses crowd the answer
    assert people_found(admin_a, "maria lopez") == [people_a["maria"]]
    # "lopez" starts nothing among the Marios, so it is read as a typo of "lopes"
    assert people_found(admin_a, "mario lopez") == [people_a["mario"]]


def test_search_is_audited_without_the_query(
    people_a: dict[str, object], users_a: dict[str, User]
) -> None:
    people_found(users_a[Role.CLINICIAN], "Lopez")
    event = AuditEvent.objects.get(action="people.search")
    assert "lopez" not in event.canonical().casefold()


def test_search_needs_two_characters_and_is_limited(
    people_a: dict[str, object], admin_a: User
) -> None:
    with pytest.raises(InvalidInput, match="at least 2 characters"):
        people_found(admin_a, " a ")
    assert len(people_found(admin_a, "lop", limit=1)) == 1


def test_search_never_crosses_organisations(people_a: dict[str, object], outsider_b: User) -> None:
    assert people_found(outsider_b, "Lopez") == []


def test_analysts_get_no_identifiable_results(people_a: dict[str, object], analyst_a: User) -> None:
    assert people_found(analyst_a, "Lopez") == []


def test_renaming_updates_the_index(people_a: dict[str, object], admin_a: User) -> None:
    johnson = people_a["johnson"]
    assert isinstance(johnson, Person)
    check_update_person(johnson, {"family_name": "Whitaker"}, acting_user=admin_a)
    assert people_found(admin_a, "johnson") == []
    assert people_found(admin_a, "whitaker") == [johnson]


def test_query_words_are_recognised() -> None:
    kinds = [w.kind for w in parse_query("Lopez 03/07/1984 a-10 maria@example.org")]
    assert kinds == ["name", "birth", "id", "email"]
