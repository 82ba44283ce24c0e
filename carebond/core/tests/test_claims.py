"""claim(): of any number of workers claiming one row at once, exactly one wins."""

from __future__ import annotations

import pytest

from carebond.core.claims import claim
from carebond.core.models import Organization
from carebond.testing.concurrency import at_once


@pytest.mark.django_db
def test_a_claim_changes_the_row_only_while_it_is_free() -> None:
    # given a row in the state a claim expects
    organization = Organization.objects.create(slug="claims", name="Claims", country="US")
    # when it is claimed twice in turn
    first = claim(Organization, organization.pk, where={"country": "US"}, change={"country": "CA"})
    second = claim(Organization, organization.pk, where={"country": "US"}, change={"country": "MX"})
    # then the first took it and the second changed nothing
    assert (first, second) == (True, False)
    organization.refresh_from_db()
    assert organization.country == "CA"


def test_a_claim_must_change_something() -> None:
    with pytest.raises(ValueError, match="must change"):
        claim(Organization, 1, where={"country": "US"}, change={})


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_the_same_moment_have_one_winner() -> None:
    # given a free row and two workers released together
    organization = Organization.objects.create(slug="race", name="Race", country="US")
    results: list[bool] = []

    def claim_it() -> None:
        results.append(
            claim(Organization, organization.pk, where={"country": "US"}, change={"country": "CA"})
        )

    # when two workers claim it at once
    errors = at_once(claim_it)
    assert errors == []
    # then exactly one of them won
    assert sorted(results) == [False, True]
