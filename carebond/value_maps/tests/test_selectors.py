"""Reads stay inside the organisation, and name people only for roles that may see PHI."""

from __future__ import annotations

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import NotFound
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.value_maps.access import access_respondent, access_study
from carebond.value_maps.analysis import Code, Ladder, LadderStudy
from carebond.value_maps.models import Respondent
from carebond.value_maps.selectors import (
    ladder_warnings,
    list_ladders,
    list_studies,
    words_by_code,
)
from carebond.value_maps.tests.stored import worked_example

pytestmark = pytest.mark.django_db


def test_studies_and_their_rows_stay_in_their_organisation(
    org_a: Organization, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    study = worked_example(org_a, users_a[Role.MANAGER])
    outsider = users_b[Role.ADMIN]
    assert list(list_studies(user=outsider)) == []
    assert [s.pk for s in list_studies(user=users_a[Role.ANALYST])] == [study.pk]
    assert list(list_studies(user=users_a[Role.FRONT_DESK])) == []
    with pytest.raises(NotFound):
        access_study(outsider, study.public_id)
    with pytest.raises(NotFound):
        access_study(users_a[Role.CLINICIAN], study.public_id)
    respondent = Respondent.objects.get(study=study, label="R1")
    with pytest.raises(NotFound):
        access_respondent(users_a[Role.ANALYST], study, respondent.public_id)


def test_ladders_name_the_linked_person_for_managers_only(
    org_a: Organization, users_a: dict[str, User]
) -> None:
    patient = make_patient(org_a, "Maria", "Lopez")
    study = worked_example(org_a, users_a[Role.MANAGER], person=patient)
    for_analyst = list_ladders(user=users_a[Role.ANALYST], study=study)
    for_manager = list_ladders(user=users_a[Role.MANAGER], study=study)
    assert [row.person for row in for_analyst] == ["", "", "", ""]
    assert [row.person for row in for_manager] == ["Maria Lopez", "", "", ""]
    assert [row.respondent for row in for_analyst] == ["R1", "R2", "R3", "R4"]
    assert for_manager[0].rungs[0].words == "R1 said A1"


def test_the_respondents_words_are_for_editors_only_and_reading_them_is_audited(
    org_a: Organization, users_a: dict[str, User]
) -> None:
    # given the worked example, R1 linked to a patient, every rung with the respondent's words
    patient = make_patient(org_a, "Maria", "Lopez")
    study = worked_example(org_a, users_a[Role.MANAGER], person=patient)
    reads = AuditEvent.objects.filter(action="value_maps.words.read")
    # when the analyst lists the ladders: the codes, never the words, and nothing to audit
    for_analyst = list_ladders(user=users_a[Role.ANALYST], study=study)
    assert [rung.code for rung in for_analyst[0].rungs] == ["A1", "C1", "C3", "V1"]
    assert {rung.words for row in for_analyst for rung in row.rungs} == {""}
    assert words_by_code(for_analyst) == {}
    assert not reads.exists()
    # when a manager lists them: the words, and the read is audited (by whom, which study)
    for_manager = list_ladders(user=users_a[Role.MANAGER], study=study, name_people=False)
    assert words_by_code(for_manager)["C3"] == [
        ("R1", "R1 said C3"),
        ("R2", "R2 said C3"),
        ("R4", "R4 said C3"),
    ]
    event = reads.get()
    assert (event.actor, event.target_id, event.patient_id) == (
        users_a[Role.MANAGER],
        str(study.public_id),
        "",
    )
    # and one linked respondent's ladders (the interview page) name the patient
    r1 = Respondent.objects.get(study=study, label="R1")
    list_ladders(user=users_a[Role.ADMIN], study=study, respondent=r1)
    assert reads.filter(patient_id=str(patient.public_id)).count() == 1


def test_list_ladders_needs_a_fixed_number_of_queries(
    org_a: Organization,
    users_a: dict[str, User],
    django_assert_max_num_queries: object,
) -> None:
    study = worked_example(org_a, users_a[Role.MANAGER])
    # the reads, plus the audit of the words (one event)
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        list_ladders(user=users_a[Role.MANAGER], study=study, name_people=False)
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        list_ladders(user=users_a[Role.ANALYST], study=study)


def test_stored_ladders_get_the_warnings_of_the_csv_reader() -> None:
    study = LadderStudy(
        codes=(Code("A1", "a", "A"), Code("C1", "c", "C"), Code("V1", "v", "V")),
        ladders=(Ladder("R1", "L1", ("V1", "A1", "C1", "C1")),),
    )
    assert ladder_warnings(study) == [
        "ladder L1 of respondent R1 goes down in level from V1 (V, position 1) to A1 (A, "
        "position 2).",
        "ladder L1 of respondent R1 repeats code C1; a code does not imply itself, so that link "
        "is not counted.",
    ]
