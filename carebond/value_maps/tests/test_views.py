"""The value-map pages: interview, CSV import, code book, map, comparison, exports, report."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.core.registry import navigation_for
from carebond.people.tests.factories import make_patient
from carebond.value_maps.access import VALUE_MAP_READERS
from carebond.value_maps.actions import RungInput, check_add_ladder, check_create_respondent
from carebond.value_maps.code_actions import check_create_code
from carebond.value_maps.models import Code, Ladder, Respondent, Rung, Study
from carebond.value_maps.tests.stored import WORKED_CSV, make_study, worked_example

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def _edges(html: str) -> int:
    return len(re.findall(r'<g class="vm-edge"', html))


# --- the interview page ---------------------------------------------------------------------


def test_an_interview_builds_a_ladder_rung_by_rung_keeping_the_words(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    # given a study with one code, and a patient who agreed to be interviewed
    study = make_study(org_a, manager_a)
    Code.objects.create(organization=org_a, study=study, key="A1", label="same doctor", level="A_a")
    patient = make_patient(org_a, "Maria", "Lopez")
    client = client_for(manager_a)
    base = f"/value-maps/{study.public_id}/interview/"
    page = client.get(base)
    assert page.status_code == 200
    assert b"autofocus" in page.content
    # when the interviewer starts with a new respondent linked to the patient
    started = client.post(
        base, {"label": "P-001", "segment": "chronic care", "person": str(patient.public_id)}
    )
    respondent = Respondent.objects.get(study=study, label="P-001")
    assert started.status_code == 302
    assert str(respondent.public_id) in started["Location"]
    url = started["Location"]
    # and adds rung 1 with an existing code, rung 2 with a new code, both with the words
    code = Code.objects.get(study=study, key="A1")
    client.post(
        url, {"action": "add", "code": str(code.public_id), "words": "I see her every time"}
    )
    client.post(
        url,
        {"action": "add", "new_label": "feel known", "new_level": "V_t", "words": "she knows me"},
    )
    in_progress = client.get(url)
    assert b"she knows me" in in_progress.content
    assert b"Finish the ladder" in in_progress.content
    assert not Ladder.objects.exists()  # nothing stored before the ladder is finished
    finished = client.post(url, {"action": "finish"})
    # then the ladder is stored with both rungs and the respondent's own words
    assert finished.status_code == 302
    ladder = Ladder.objects.get(respondent=respondent)
    rungs = list(ladder.rungs.order_by("position").select_related("code"))
    assert [(r.code.label, r.words) for r in rungs] == [
        ("same doctor", "I see her every time"),
        ("feel known", "she knows me"),
    ]
    assert rungs[1].code.key == "V1"
    page = client.get(url)
    assert b"Maria Lopez" in page.content
    assert b"L1" in page.content
    assert AuditEvent.objects.filter(
        action="value_maps.ladder.added", patient_id=str(patient.public_id)
    ).exists()


def test_interview_mistakes_are_explained_next_to_the_field(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = make_study(org_a, manager_a)
    client = client_for(manager_a)
    base = f"/value-maps/{study.public_id}/interview/"
    # an unknown person id is refused beside its field, and no respondent is added
    refused = client.post(base, {"label": "P-1", "person": "00000000-0000-4000-8000-000000000000"})
    assert refused.status_code == 422
    assert b"No person with this id" in refused.content
    assert not Respondent.objects.exists()
    url = client.post(base, {"label": "P-1"})["Location"]
    # a rung with neither a code nor a new label
    empty = client.post(url, {"action": "add", "words": "hmm"})
    assert empty.status_code == 400
    assert b"Pick a code, or name a new one below." in empty.content
    # a new code without a level
    no_level = client.post(url, {"action": "add", "new_label": "trust"})
    assert b"Choose the new code" in no_level.content
    # finishing a ladder of one rung
    client.post(url, {"action": "add", "new_label": "trust", "new_level": "V"})
    one_rung = client.post(url, {"action": "finish"})
    assert one_rung.status_code == 422
    assert b"two codes or more" in one_rung.content
    assert not Ladder.objects.exists()


def test_the_interview_is_for_editors_and_the_own_organisation(
    org_a: Organization, users_a: dict[str, User], outsider_b: User, client_for: ClientFor
) -> None:
    study = make_study(org_a, users_a[Role.MANAGER])
    url = f"/value-maps/{study.public_id}/interview/"
    assert client_for(users_a[Role.ANALYST]).get(url).status_code == 403
    assert client_for(outsider_b).get(url).status_code == 404
    assert client_for(outsider_b).post(url, {"label": "X"}).status_code == 404
    assert not Respondent.objects.exists()


# --- CSV import -----------------------------------------------------------------------------


def _upload(client: Client, study: Study, text: str, step: str = "import") -> object:
    return client.post(
        f"/value-maps/{study.public_id}/import/",
        {"file": SimpleUploadedFile("ladders.csv", text.encode()), "step": step},
    )


def test_a_rejected_file_lists_each_problem_by_row_and_stores_nothing(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = make_study(org_a, manager_a)
    bad = (
        "respondent,segment,ladder,position,code,label,level\n"
        "R1,patients,L1,1,A1,same day,A_c\n"
        "R1,patients,L1,2,C1,less waiting,Value\n"
        "R2,patients,L1,1,A1,same day,A_c\n"
        "R2,patients,L1,3,V1,peace of mind,V\n"
    )
    response = _upload(client_for(manager_a), study, bad)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "Nothing was imported" in html
    assert re.search(r"<td>3</td><td>level</td><td>&#x27;Value&#x27; is not a level", html)
    assert re.search(r"<td>5</td><td>position</td>", html)
    assert Code.objects.count() == Respondent.objects.count() == Ladder.objects.count() == 0
    assert Rung.objects.count() == 0


def test_a_good_file_is_imported_whole_with_its_warnings_shown(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    # given the worked example plus a ladder that goes down in level
    study = make_study(org_a, manager_a)
    text = WORKED_CSV + "R5,new patient,L1,1,V1,,V_t\nR5,new patient,L1,2,A1,,A_c\n"
    client = client_for(manager_a)
    # when checked only, nothing is written
    checked = _upload(client, study, text, step="check")
    assert b"ready to import" in checked.content  # type: ignore[attr-defined]
    assert not Ladder.objects.exists()
    # when imported
    response = _upload(client, study, text)
    # then every ladder is stored, and the warning is shown
    assert response.status_code == 200  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "goes down in level" in html
    assert Ladder.objects.filter(respondent__study=study).count() == 5
    assert Code.objects.get(study=study, key="C3").label == "feel in control"
    # and importing the same file again is refused as a whole, naming the ladders
    again = _upload(client, study, text)
    assert again.status_code == 422  # type: ignore[attr-defined]
    assert b"already in the study" in again.content  # type: ignore[attr-defined]
    assert Ladder.objects.filter(respondent__study=study).count() == 5


def test_an_import_that_contradicts_the_code_book_stores_nothing(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = make_study(org_a, manager_a)
    Code.objects.create(organization=org_a, study=study, key="C3", label="in control", level="V")
    response = _upload(client_for(manager_a), study, WORKED_CSV)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert b"code C3 is V in the study" in response.content  # type: ignore[attr-defined]
    assert Code.objects.filter(study=study).count() == 1
    assert not Ladder.objects.exists()


def test_an_upload_without_a_file_is_a_message_not_an_error(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = make_study(org_a, manager_a)
    response = client_for(manager_a).post(
        f"/value-maps/{study.public_id}/import/", {"step": "import"}
    )
    assert response.status_code == 400
    assert b"This field is required." in response.content


# --- the map page ---------------------------------------------------------------------------


def test_the_map_page_draws_the_map_on_the_server_at_the_suggested_cutoff(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    page = client.get(f"/value-maps/{study.public_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    # §1.5 at c = 2: four links, each code a link that lists its ladders without JavaScript
    assert _edges(html) == 4
    assert 'data-cutoff="2"' in html
    assert 'href="?cutoff=2&amp;code=C3#ladders"' in html
    assert "R1 said C3" in html  # the words, in the tooltip and the ladders list
    assert "value_maps.js" in html
    assert "<script>" not in html
    # a lower cut-off keeps all six links; a click on C2 lists only the ladders through it
    low = client.get(f"/value-maps/{study.public_id}/?cutoff=1&code=C2").content.decode()
    assert _edges(low) == 6
    assert "Suggested: 2, the largest cut-off keeping two-thirds" in low  # whatever is drawn
    rows = re.findall(r'<tr data-codes="([^"]*)"( hidden)?>', low)
    assert [(codes.split(), bool(hidden)) for codes, hidden in rows] == [
        (["A1", "C1", "C3", "V1"], True),
        (["A2", "C2", "C3", "V1"], False),
        (["A1", "C1", "V2"], True),
        (["A2", "C2", "C3", "V1"], False),
    ]


def test_bad_map_settings_are_explained_next_to_the_field(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    page = client.get(f"/value-maps/{study.public_id}/?cutoff=abc&segment=nobody")
    assert page.status_code == 400
    html = page.content.decode()
    assert "Enter a whole number." in html
    assert "Select a valid choice" in html
    assert _edges(html) == 4  # the map still shows, at the suggested cut-off
    assert client.get(f"/value-maps/{study.public_id}/map.svg?cutoff=0").status_code == 422


def test_the_analyst_sees_the_map_but_never_who_a_respondent_is(
    org_a: Organization, users_a: dict[str, User], client_for: ClientFor
) -> None:
    patient = make_patient(org_a, "Maria", "Lopez")
    study = worked_example(org_a, users_a[Role.MANAGER], person=patient)
    analyst_page = client_for(users_a[Role.ANALYST]).get(f"/value-maps/{study.public_id}/")
    assert analyst_page.status_code == 200
    assert b"Lopez" not in analyst_page.content
    assert b"R1" in analyst_page.content
    assert b"/interview/" not in analyst_page.content
    manager_page = client_for(users_a[Role.MANAGER]).get(f"/value-maps/{study.public_id}/")
    assert b"Maria Lopez" in manager_page.content
    # naming the patient was an audited read
    assert AuditEvent.objects.filter(action="value_maps.respondents.read").count() == 1


def test_other_organisations_and_other_roles_do_not_reach_the_map(
    org_a: Organization, users_a: dict[str, User], outsider_b: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, users_a[Role.MANAGER])
    for path in ("", "map.svg", "matrix.csv", "compare/", "report/", "codes/"):
        assert (
            client_for(outsider_b).get(f"/value-maps/{study.public_id}/{path}").status_code == 404
        )
    assert (
        client_for(users_a[Role.FRONT_DESK]).get(f"/value-maps/{study.public_id}/").status_code
        == 403
    )


def test_exports_svg_and_the_implication_matrix_as_csv(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    svg = client.get(f"/value-maps/{study.public_id}/map.svg?cutoff=3&download=1")
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in svg["Content-Disposition"]
    assert svg.content.startswith(b"<?xml")
    assert _edges(svg.content.decode()) == 1
    matrix = client.get(f"/value-maps/{study.public_id}/matrix.csv")
    lines = matrix.content.decode().splitlines()
    assert lines[0] == "from,from_label,from_level,to,to_label,to_level,direct,indirect,total"
    assert "C3,feel in control,C_p,V1,peace of mind,V_t,3,0,3" in lines
    assert "A2,doctor explains clearly,A_a,V1,peace of mind,V_t,0,2,2" in lines
    assert len(lines) == 1 + 13  # 6 direct + 10 indirect cells, 3 pairs in both


def test_two_segments_side_by_side(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    page = client_for(manager_a).get(
        f"/value-maps/{study.public_id}/compare/?first=new+patient&second=chronic+care"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="vm-map"') == 2
    assert "C3 → V1 (1 / 2)" in html  # the shared link with each segment's weight
    same = client_for(manager_a).get(
        f"/value-maps/{study.public_id}/compare/?first=new+patient&second=new+patient"
    )
    assert same.status_code == 400
    assert b"Choose two different segments." in same.content


def test_the_printable_report(org_a: Organization, manager_a: User, client_for: ClientFor) -> None:
    study = worked_example(org_a, manager_a)
    page = client_for(manager_a).get(f"/value-maps/{study.public_id}/report/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "A2 doctor explains clearly → C2 understand my condition" in html
    assert _edges(html) == 4
    assert "Why is that important to you?" in html


# --- the code book --------------------------------------------------------------------------


def test_the_code_book_renames_and_merges_and_the_map_follows(
    org_a: Organization, users_a: dict[str, User], client_for: ClientFor
) -> None:
    manager = users_a[Role.MANAGER]
    study = worked_example(org_a, manager)
    client = client_for(manager)
    url = f"/value-maps/{study.public_id}/codes/"
    c1, c2 = (Code.objects.get(study=study, key=k) for k in ("C1", "C2"))
    renamed = client.post(
        url, {"action": "rename", "code": str(c1.public_id), "label": "shorter waits", "key": "C1"}
    )
    assert renamed.status_code == 302
    merged = client.post(
        url, {"action": "merge", "merged": str(c2.public_id), "into": str(c1.public_id)}
    )
    assert merged.status_code == 302
    page = client.get(url).content.decode()
    assert "understand my condition" in page  # kept as a synonym of C1
    assert Ladder.objects.filter(respondent__study=study).count() == 4
    map_page = client.get(f"/value-maps/{study.public_id}/?cutoff=1").content.decode()
    assert "C1 shorter waits" in map_page
    # a level mismatch is explained, and the analyst may read but not change the book
    c3, v1 = (Code.objects.get(study=study, key=k) for k in ("C3", "V1"))
    refused = client.post(
        url, {"action": "merge", "merged": str(c3.public_id), "into": str(v1.public_id)}
    )
    assert refused.status_code == 409
    assert b"same level only" in refused.content
    analyst = client_for(users_a[Role.ANALYST])
    assert analyst.get(url).status_code == 200
    assert analyst.post(url, {"action": "add", "label": "x", "level": "A"}).status_code == 403


def test_a_new_study_and_its_form_errors(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    client = client_for(manager_a)
    missing = client.post("/value-maps/new/", {"title": "Why they stay"})
    assert missing.status_code == 400
    assert b"This field is required." in missing.content
    created = client.post(
        "/value-maps/new/",
        {"title": "Why they stay", "question": "What matters?", "segments": "patients\nstaff"},
    )
    study = Study.objects.get(organization=org_a)
    assert created["Location"] == f"/value-maps/{study.public_id}/"
    assert [s.name for s in study.segments.all()] == ["patients", "staff"]
    twice = client.post("/value-maps/new/", {"title": "why they stay", "question": "?"})
    assert twice.status_code == 422
    assert b"already exists" in twice.content


def test_value_maps_in_the_navigation_for_its_readers_only() -> None:
    for role in Role.values:
        labels = [item.label for item in navigation_for(role)]
        assert ("Value maps" in labels) == VALUE_MAP_READERS.allows(role)
    assert "Value maps" in [item.label for item in navigation_for(Role.ANALYST)]
    assert "Value maps" in [item.label for item in navigation_for(Role.MANAGER)]


# --- the respondents' words: editors only, and audited -----------------------------------------


def test_the_analyst_never_gets_the_respondents_words(
    org_a: Organization, users_a: dict[str, User], client_for: ClientFor
) -> None:
    # given the worked example, where every rung has the respondent's words ("R1 said C3")
    study = worked_example(org_a, users_a[Role.MANAGER])
    analyst = client_for(users_a[Role.ANALYST])
    base = f"/value-maps/{study.public_id}/"
    # when the analyst opens every page and export of the study
    pages = {
        "map": analyst.get(base),
        "map at cut-off 1": analyst.get(base + "?cutoff=1"),
        "svg": analyst.get(base + "map.svg?cutoff=1"),
        "svg download": analyst.get(base + "map.svg?cutoff=1&download=1"),
        "compare": analyst.get(base + "compare/?first=new+patient&second=chronic+care"),
        "report": analyst.get(base + "report/?cutoff=1"),
        "matrix": analyst.get(base + "matrix.csv"),
    }
    # then none holds a word anyone said, and nothing was read to audit
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert b" said " not in response.content, name
    assert b"C3" in pages["map"].content  # the map and the ladders' codes are still there
    assert not AuditEvent.objects.filter(action="value_maps.words.read").exists()


def test_editors_get_the_words_and_each_read_is_audited(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    base = f"/value-maps/{study.public_id}/"
    reads = AuditEvent.objects.filter(action="value_maps.words.read", actor=manager_a)
    assert b"R1 said C3" in client.get(base).content
    assert reads.count() == 1
    download = client.get(base + "map.svg?cutoff=1&download=1")
    assert b"R1 said C3" in download.content
    assert reads.count() == 2
    assert reads.filter(target_id=str(study.public_id)).count() == 2


def test_each_compared_map_shows_only_its_own_segments_words(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    # given R1 and R3 in "new patient", R2 and R4 in "chronic care", all saying something at C3
    study = worked_example(org_a, manager_a)
    page = client_for(manager_a).get(
        f"/value-maps/{study.public_id}/compare/?first=new+patient&second=chronic+care"
    )
    html = page.content.decode()
    first, second = html.split('class="vm-map"')[1:3]
    # then each map's tooltips quote its own respondents only
    assert "R1 said C3" in first
    assert "R2 said C3" not in first
    assert "R2 said C3" in second
    assert "R4 said C3" in second
    assert "R1 said C3" not in second
    assert AuditEvent.objects.filter(action="value_maps.words.read").count() == 1


# --- settings of the report and the comparison -----------------------------------------------


def test_the_report_says_which_settings_it_could_not_use(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    bad = client.get(f"/value-maps/{study.public_id}/report/?segment=zzz&cutoff=abc")
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "segment: Select a valid choice" in html
    assert "cut-off: Enter a whole number." in html
    assert _edges(html) == 4  # the report still shows, at the suggested cut-off


def test_compare_takes_the_first_two_segments_when_the_query_names_none(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    page = client_for(manager_a).get(f"/value-maps/{study.public_id}/compare/?unit=ladder")
    assert page.status_code == 200
    assert page.content.decode().count('class="vm-map"') == 2


# --- imports that differ only in case ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        pytest.param(
            "R1,,L1,1,A1,same day,A\nR1,,L1,2,V1,peace,V\n"
            "r1,,L1,1,A1,same day,A\nr1,,L1,2,V1,peace,V\n",
            r"<td>4</td><td>respondent</td><td>respondent r1 is written R1 on row 2",
            id="a respondent written two ways",
        ),
        pytest.param(
            "R1,,L1,1,B1,same day,A\nR1,,L1,2,V1,peace,V\n"
            "R2,,L1,1,A1,explains,A\nR2,,L1,2,b1,safety,V_t\n",
            r"<td>5</td><td>level</td><td>code b1 is V_t here but A on row 2",
            id="a code written two ways at two levels",
        ),
        pytest.param(
            "R1,,L1,1,A&1,same day,A\nR1,,L1,2,V 1,peace,V\n",
            r"is not a code",
            id="a code that would break links",
        ),
    ],
)
def test_an_import_the_page_refuses_names_the_row_and_stores_nothing(
    org_a: Organization, manager_a: User, client_for: ClientFor, rows: str, problem: str
) -> None:
    study = make_study(org_a, manager_a)
    text = "respondent,segment,ladder,position,code,label,level\n" + rows
    response = _upload(client_for(manager_a), study, text)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert re.search(problem, html)
    assert not Respondent.objects.exists()
    assert not Ladder.objects.exists()
    assert not Code.objects.exists()


# --- the interview: drafts per respondent, codes merged meanwhile -----------------------------


def _start(client: Client, study: Study, label: str) -> str:
    response = client.post(f"/value-maps/{study.public_id}/interview/", {"label": label})
    return str(response["Location"])


def test_each_respondent_keeps_their_own_ladder_in_progress(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    a1 = Code.objects.get(study=study, key="A1")
    first, second = _start(client, study, "R5"), _start(client, study, "R6")
    # when a rung is added for R5, then one for R6
    client.post(first, {"action": "add", "code": str(a1.public_id), "words": "R5 begins"})
    client.post(second, {"action": "add", "code": str(a1.public_id), "words": "R6 begins"})
    # then each keeps their own
    assert b"R5 begins" in client.get(first).content
    assert b"R6 begins" not in client.get(first).content
    assert b"R6 begins" in client.get(second).content
    # and discarding R6's leaves R5's
    client.post(second, {"action": "discard"})
    assert b"R5 begins" in client.get(first).content


def test_a_rung_whose_code_was_merged_meanwhile_follows_the_merge(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    # given a ladder in progress A1 → C2 → V1, with words at C2
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    a1, c1, c2, v1 = (Code.objects.get(study=study, key=k) for k in ("A1", "C1", "C2", "V1"))
    url = _start(client, study, "R5")
    for code, words in ((a1, "same day"), (c2, "I get it now"), (v1, "calm")):
        client.post(url, {"action": "add", "code": str(code.public_id), "words": words})
    # when another editor merges C2 into C1, and the ladder is finished
    client.post(
        f"/value-maps/{study.public_id}/codes/",
        {"action": "merge", "merged": str(c2.public_id), "into": str(c1.public_id)},
    )
    assert b"C1" in client.get(url).content
    finished = client.post(url, {"action": "finish"})
    # then the ladder keeps all three rungs, the middle one now C1 with its words
    assert finished.status_code == 302
    ladder = Ladder.objects.get(respondent__label="R5", respondent__study=study)
    assert [(r.code.key, r.words) for r in ladder.rungs.order_by("position")] == [
        ("A1", "same day"),
        ("C1", "I get it now"),
        ("V1", "calm"),
    ]


def test_a_rung_whose_code_cannot_be_found_stops_the_ladder_naming_it(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    client = client_for(manager_a)
    a1, c2, v1 = (Code.objects.get(study=study, key=k) for k in ("A1", "C2", "V1"))
    url = _start(client, study, "R5")
    for code in (a1, c2, v1):
        client.post(url, {"action": "add", "code": str(code.public_id), "words": "x"})
    # when C2 disappears from the book with no trace (merged, then its synonym dropped)
    c1 = Code.objects.get(study=study, key="C1")
    client.post(
        f"/value-maps/{study.public_id}/codes/",
        {"action": "merge", "merged": str(c2.public_id), "into": str(c1.public_id)},
    )
    Code.objects.filter(pk=c1.pk).update(synonyms=[])
    refused = client.post(url, {"action": "finish"})
    # then nothing is stored and the page names the rung
    assert refused.status_code == 409
    assert "rung 2 (“understand my condition”) is no longer in the code book" in (
        refused.content.decode()
    )
    assert not Ladder.objects.filter(respondent__label="R5").exists()


# --- the code book ------------------------------------------------------------------------------


def test_renaming_a_code_to_a_label_in_use_is_refused_next_to_the_field(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    study = worked_example(org_a, manager_a)
    c3 = Code.objects.get(study=study, key="C3")
    refused = client_for(manager_a).post(
        f"/value-maps/{study.public_id}/codes/",
        {"action": "rename", "code": str(c3.public_id), "label": "less waiting", "key": "C3"},
    )
    assert refused.status_code == 422
    assert re.search(
        r'id="rename-label-C3"[^>]*>\s*<p class="error" role="alert">The code book already has '
        r"C1 &#x27;less waiting&#x27;",
        refused.content.decode(),
    )
    assert Code.objects.get(pk=c3.pk).label == "feel in control"


# --- editing a study ----------------------------------------------------------------------------


def test_a_manager_edits_the_study_and_a_bad_field_is_named_on_the_form(
    org_a: Organization,
    manager_a: User,
    users_a: dict[Role, User],
    outsider_b: User,
    client_for: ClientFor,
) -> None:
    # given a study with the segments "new patient" and "chronic care"
    study = make_study(org_a, manager_a)
    segment = study.segments.get(name="new patient")
    url = f"/value-maps/{study.public_id}/edit/"
    client = client_for(manager_a)
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="new patient"' in page.content.decode()
    # when a segment is renamed onto the other's name, the form says so and nothing is saved
    fields = {
        "title": "Why patients stay",
        "question": "What keeps you with us?",
        "interview_guide": "Why is that important to you?",
        f"segment_{segment.pk}": "Chronic care",
        f"segment_{study.segments.get(name='chronic care').pk}": "chronic care",
    }
    refused = client.post(url, fields)
    assert refused.status_code == 422
    assert "Two segments would be called “Chronic care”" in refused.content.decode()
    assert Study.objects.get(pk=study.pk).question == "What matters to you about our clinic?"
    # when the manager saves a proper edit
    saved = client.post(url, fields | {f"segment_{segment.pk}": "first visit"})
    # then the map page shows the new question, and the segment its new name
    assert saved.status_code == 302
    map_page = client.get(saved["Location"]).content.decode()
    assert "What keeps you with us?" in map_page
    assert "first visit" in map_page
    # and the page is for editors of this organisation only
    assert client_for(users_a[Role.ANALYST]).get(url).status_code == 403
    assert client_for(outsider_b).post(url, fields).status_code == 404


def test_the_interviewer_finds_the_person_to_link_by_name_instead_of_pasting_an_id(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    # given two namesakes and a study
    study = make_study(org_a, manager_a)
    maria = make_patient(org_a, "Maria", "Lopez")
    make_patient(org_a, "Mario", "Lopez")
    client = client_for(manager_a)
    url = f"/value-maps/{study.public_id}/interview/"
    # when the interviewer searches for "maria lopez"
    found = client.get(url, {"find": "maria lopez"})
    # then Maria is offered as the person to link (an audited people search), anonymity too
    html = found.content.decode()
    assert found.status_code == 200
    assert f'type="radio" name="person" value="{maria.public_id}"' in html
    assert "Maria Lopez (patient" in html
    assert "Nobody (anonymous)" in html
    assert AuditEvent.objects.filter(action="people.search", actor=manager_a).exists()
    # a refused start (a label in use) still lists the matches to pick from
    client.post(url, {"label": "P-019", "segment": ""})
    refused = client.post(url, {"label": "P-019", "segment": "", "searched_for": "maria lopez"})
    assert refused.status_code == 422
    assert f'value="{maria.public_id}"' in refused.content.decode()
    # when the interviewer picks her and starts (no new search: nothing is shown)
    searches = AuditEvent.objects.filter(action="people.search").count()
    started = client.post(
        url,
        {
            "label": "P-020",
            "segment": "",
            "person": str(maria.public_id),
            "searched_for": "maria lopez",
        },
    )
    # then the respondent is linked to Maria
    assert started.status_code == 302
    assert Respondent.objects.get(study=study, label="P-020").person == maria
    assert AuditEvent.objects.filter(action="people.search").count() == searches
    # a search too short is told beside its field; one that finds nobody says so
    short = client.get(url, {"find": "m"}).content.decode()
    assert "Type at least" in short
    assert 'data-testid="no-matches"' in client.get(url, {"find": "zzzyx"}).content.decode()


def test_the_matrix_csv_never_hands_a_spreadsheet_a_formula(
    org_a: Organization, manager_a: User, client_for: ClientFor
) -> None:
    # given codes whose ids and labels a spreadsheet would run as formulas
    study = make_study(org_a, manager_a)
    first = check_create_code(study, key="-2-3", label="=1+1", level="A", acting_user=manager_a)
    second = check_create_code(study, key="-V1", label="+fine", level="V", acting_user=manager_a)
    respondent = check_create_respondent(study, label="R1", segment=None, acting_user=manager_a)
    check_add_ladder(
        respondent, [RungInput(first, ""), RungInput(second, "")], acting_user=manager_a
    )
    # when the matrix is exported
    csv = client_for(manager_a).get(f"/value-maps/{study.public_id}/matrix.csv")
    # then every such cell, codes included, starts with a quote
    row = csv.content.decode().splitlines()[1]
    assert row == "'-2-3,'=1+1,A,'-V1,'+fine,V,1,0,1"
