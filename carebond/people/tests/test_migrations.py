"""Data migrations run against rows that exist before them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("people", "0004_imported_provenance")]
BETWEEN = [("people", "0005_consentrecord_public_id")]
AFTER = [("people", "0006_consentrecord_public_id_unique")]


@pytest.mark.django_db(transaction=True)
def test_consent_records_made_before_public_ids_each_get_their_own() -> None:
    # given consent records written before consent records had public ids
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    organization = old.get_model("core", "Organization").objects.create(slug="m", name="M")
    person = old.get_model("people", "Person").objects.create(
        organization=organization, kind="patient", given_name="Ada", family_name="Byrne"
    )
    records = old.get_model("people", "ConsentRecord").objects
    for channel in ("sms", "email", "phone"):
        records.create(
            organization=organization,
            person=person,
            channel=channel,
            purpose="care",
            status="granted",
            method="verbal",
            recorded_at="2026-01-05T10:00:00Z",
        )
    # when 0005 runs, then code that does not know the field yet writes two more (a rolling
    # deploy), then 0006 runs
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(BETWEEN)
    with connection.cursor() as cursor:
        for channel in ("post", "portal"):
            cursor.execute(
                "INSERT INTO people_consentrecord (organization_id, person_id, channel, purpose, "
                "status, method, recorded_at, evidence) VALUES (%s, %s, %s, 'care', 'granted', "
                "'verbal', %s, '')",
                [organization.pk, person.pk, channel, "2026-01-06T10:00:00Z"],
            )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    # then every record has a public id of its own
    new = executor.loader.project_state(AFTER).apps
    ids = list(new.get_model("people", "ConsentRecord").objects.values_list("public_id", flat=True))
    assert len(ids) == 5
    assert None not in ids
    assert len(set(ids)) == 5
    # and the schema is back at the newest migrations for the tests that follow
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_people_made_before_whole_names_and_death_dates_keep_theirs_and_the_name_check_holds() -> (
    None
):
    from django.db import IntegrityError, transaction

    before = [("people", "0007_distinct_pairs")]
    after = [("people", "0008_name_text_other_names_deceased_date")]
    # given a patient made before 0008
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    organization = old.get_model("core", "Organization").objects.create(slug="w", name="W")
    people = old.get_model("people", "Person").objects
    patient = people.create(
        organization=organization, kind="patient", given_name="Ada", family_name="Byrne"
    )
    # when 0008 runs
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    # then they have no whole name, no other names and no date of death
    new = executor.loader.project_state(after).apps.get_model("people", "Person").objects
    row = new.get(pk=patient.pk)
    assert (row.name_text, row.other_names, row.deceased_date) == ("", [], None)
    # and a whole name alone is a name, while no name at all is still refused
    new.create(organization_id=organization.pk, kind="referral_source", name_text="Dr. A. Okoye")
    with pytest.raises(IntegrityError), transaction.atomic():
        new.create(organization_id=organization.pk, kind="patient")
    # and the schema is back at the newest migrations for the tests that follow
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
