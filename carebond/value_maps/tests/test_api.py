"""GET /api/v1/value-maps/...: the analysis JSON is the command line's, within the organisation."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.value_maps.analysis import analysis_as_json, analyze
from carebond.value_maps.ladder_csv import read_ladder_csv
from carebond.value_maps.tests.stored import WORKED_CSV, worked_example

pytestmark = pytest.mark.django_db
ApiFor = Callable[[User], Client]


def _url(study_id: object, query: str = "") -> str:
    return f"/api/v1/value-maps/studies/{study_id}/analysis{query}"


def test_analysis_is_the_json_of_ladder_analyze_for_the_stored_study(
    org_a: Organization, manager_a: User, api_for: ApiFor
) -> None:
    # given the §1.5 study stored, and the same ladders as the CSV the command line reads
    study = worked_example(org_a, manager_a)
    from_file = read_ladder_csv(WORKED_CSV.encode()).study
    assert from_file is not None
    # when
    response = api_for(manager_a).get(_url(study.public_id))
    # then the body is analysis_as_json of that study (plus the warnings, as with --json)
    assert response.status_code == 200
    body = response.json()
    assert body.pop("warnings") == []
    assert body == json.loads(json.dumps(analysis_as_json(analyze(from_file))))
    assert body["settings"]["cutoff"] == 2
    assert body["settings"]["cutoff_suggested"] is True
    assert body["matrices"]["direct"]["C3>V1"] == 3


def test_cutoff_segment_and_unit_are_passed_to_the_analysis(
    org_a: Organization, manager_a: User, api_for: ApiFor
) -> None:
    study = worked_example(org_a, manager_a)
    from_file = read_ladder_csv(WORKED_CSV.encode()).study
    assert from_file is not None
    response = api_for(manager_a).get(
        _url(study.public_id, "?cutoff=1&segment=chronic%20care&unit=ladder")
    )
    assert response.status_code == 200
    expected = analysis_as_json(
        analyze(from_file, cutoff=1, segment="chronic care", count_unit="ladder")
    )
    body = response.json()
    body.pop("warnings")
    assert body == json.loads(json.dumps(expected))
    assert body["summary"]["respondents"] == 2


def test_indices_and_cutoff_can_be_on_the_total_matrix_and_say_so(
    org_a: Organization, manager_a: User, api_for: ApiFor
) -> None:
    study = worked_example(org_a, manager_a)
    from_file = read_ladder_csv(WORKED_CSV.encode()).study
    assert from_file is not None
    response = api_for(manager_a).get(_url(study.public_id, "?indices_on=total&cutoff_on=total"))
    assert response.status_code == 200
    body = response.json()
    body.pop("warnings")
    expected = analysis_as_json(analyze(from_file, indices_on="total", cutoff_on="total"))
    assert body == json.loads(json.dumps(expected))
    on_direct = api_for(manager_a).get(_url(study.public_id)).json()
    assert body["indices"] != on_direct["indices"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?segment=nobody", "segment"), ("?cutoff=0", "query.cutoff"), ("?unit=x", "query.unit")],
)
def test_bad_settings_are_422_naming_the_field(
    org_a: Organization, manager_a: User, api_for: ApiFor, query: str, field: str
) -> None:
    study = worked_example(org_a, manager_a)
    response = api_for(manager_a).get(_url(study.public_id, query))
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_another_organisations_study_looks_missing(
    org_a: Organization, manager_a: User, outsider_b: User, api_for: ApiFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = api_for(outsider_b)
    foreign = client.get(_url(study.public_id))
    missing = client.get(_url("00000000-0000-4000-8000-000000000000"))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert client.get(f"/api/v1/value-maps/studies/{study.public_id}/ladders").status_code == 404


def test_the_analyst_reads_aggregates_but_never_the_ladders_with_people(
    org_a: Organization, users_a: dict[str, User], api_for: ApiFor
) -> None:
    # given a study whose respondent R1 is a patient
    patient = make_patient(org_a, "Maria", "Lopez")
    study = worked_example(org_a, users_a[Role.MANAGER], person=patient)
    analyst = api_for(users_a[Role.ANALYST])
    # then the analyst gets the analysis, which names no one...
    analysis = analyst.get(_url(study.public_id))
    assert analysis.status_code == 200
    assert "Lopez" not in analysis.content.decode()
    # ...and may not list the ladders, which the manager sees with the patient's name
    assert analyst.get(f"/api/v1/value-maps/studies/{study.public_id}/ladders").status_code == 403
    ladders = api_for(users_a[Role.MANAGER]).get(
        f"/api/v1/value-maps/studies/{study.public_id}/ladders"
    )
    assert ladders.status_code == 200
    first = next(row for row in ladders.json() if row["respondent"] == "R1")
    assert first["person"] == "Maria Lopez"
    assert [r["code"] for r in first["rungs"]] == ["A1", "C1", "C3", "V1"]
    assert first["rungs"][0]["words"] == "R1 said A1"


def test_roles_without_value_maps_are_refused(
    org_a: Organization, users_a: dict[str, User], api_for: ApiFor
) -> None:
    study = worked_example(org_a, users_a[Role.MANAGER])
    assert api_for(users_a[Role.FRONT_DESK]).get(_url(study.public_id)).status_code == 403
    assert Client().get(_url(study.public_id)).status_code == 401


def test_studies_lists_only_the_organisations_own(
    org_a: Organization, manager_a: User, outsider_b: User, api_for: ApiFor
) -> None:
    worked_example(org_a, manager_a)
    mine = api_for(manager_a).get("/api/v1/value-maps/studies").json()
    assert [(s["title"], s["respondents"], s["codes"]) for s in mine] == [
        ("Why patients stay", 4, 7)
    ]
    assert mine[0]["segments"] == ["chronic care", "new patient"]
    assert api_for(outsider_b).get("/api/v1/value-maps/studies").json() == []
