"""Surveys in FHIR R4: every version is a valid Questionnaire in both languages that reads back
as the same definition; a Questionnaire from elsewhere becomes a draft survey or is refused
naming what, where and why (nothing written); identified responses are valid
QuestionnaireResponses (in progress, stopped, completed with comments), read and searched at
/fhir/R4 by managers only, audited, never another organisation's, never anonymous ones; an
EHR's questionnaire answers stay kept whole beside them for the clinical roles."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.errors import InvalidInput
from carebond.core.permissions import Role
from carebond.interop.exporting.export import iter_export_resources
from carebond.interop.importing.importer import import_files
from carebond.interop.testing import EXAMPLES, load, write
from carebond.interop.tests.conftest import validate_fhir
from carebond.people.models import StaffProfile
from carebond.people.tests.factories import make_staff
from carebond.surveys.definitions import check_definition
from carebond.surveys.distribution_actions import stop_expired_responses
from carebond.surveys.fhir import questionnaire_to_fhir, response_to_fhir
from carebond.surveys.fhir_actions import check_import_questionnaire
from carebond.surveys.instrument_actions import current_version
from carebond.surveys.models import (
    AnonymousResponse,
    Instrument,
    InstrumentVersion,
    Response,
    VersionStatus,
)
from carebond.surveys.response_actions import check_save_section
from carebond.surveys.tests.answers import (
    HEALTH_CHECK,
    answer,
    conditional_instrument,
    health_check,
)
from carebond.surveys.tests.conftest import Practice, invite

BASE = "/fhir/R4/"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def spanish(element: dict[str, Any], name: str) -> str:
    """The Spanish translation of a text element."""
    [translation] = element[f"_{name}"]["extension"]
    assert translation["url"] == TRANSLATION
    parts = {part["url"]: part for part in translation["extension"]}
    assert parts["lang"]["valueCode"] == "es"
    text: str = parts["content"]["valueString"]
    return text


def questionnaire(practice: Practice, key: str) -> dict[str, Any]:
    version = current_version(practice.instrument(key))
    assert version is not None
    return questionnaire_to_fhir(version)


def items(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every item by linkId, groups and questions alike."""
    found: dict[str, dict[str, Any]] = {}
    for item in resource.get("item", []):
        found[item["linkId"]] = item
        found |= items(item)
    return found


def written(practice: Practice) -> tuple[int, int, int]:
    return (
        Instrument.objects.count(),
        InstrumentVersion.objects.count(),
        AuditEvent.objects.filter(organization=practice.organization).count(),
    )


# --- Questionnaire out ------------------------------------------------------------------------


def test_the_post_visit_survey_is_a_questionnaire_in_english_and_spanish(
    practice: Practice,
) -> None:
    # when the built-in post-visit survey goes out as FHIR
    resource = questionnaire(practice, "post-visit")

    # then it is valid R4: the instrument's url and key, version 1, active, both languages
    validate_fhir(resource)
    instrument = practice.instrument("post-visit")
    assert resource["url"] == f"urn:uuid:{instrument.public_id}"
    assert resource["identifier"] == [
        {"system": "urn:carebond:survey-instrument", "value": "post-visit"}
    ]
    assert (resource["version"], resource["status"], resource["language"]) == ("1", "active", "en")
    assert spanish(resource, "title") == "Su experiencia en la visita"
    found = items(resource)
    # sections are groups (their linkIds apart from the questions' ids)
    assert found["section-access"]["type"] == "group"
    assert spanish(found["section-access"], "text") == "Recibir atención"
    # a frequency scale is a choice coded 1-4 in the scale's system, labels in both languages
    soon = found["access_soon"]
    assert soon["type"] == "choice"
    options = [o["valueCoding"] for o in soon["answerOption"]]
    assert [o["code"] for o in options] == ["1", "2", "3", "4"]
    assert {o["system"] for o in options} == {"urn:carebond:survey-scale:frequency4"}
    assert (options[3]["display"], spanish(options[3], "display")) == ("Always", "Siempre")
    assert spanish(soon, "text").startswith("¿Consiguió esta cita")
    # a 0-10 rating is an integer with its bounds; yes/no a boolean; a comment text
    recommend = found["recommend"]
    assert recommend["type"] == "integer"
    bounds = {e["url"].rsplit("/", 1)[-1]: e.get("valueInteger") for e in recommend["extension"]}
    assert (bounds["minValue"], bounds["maxValue"]) == (0, 10)
    assert found["may_contact"]["type"] == "boolean"
    assert found["went_well"]["type"] == "text"


def test_every_built_in_survey_reads_back_as_the_same_definition(practice: Practice) -> None:
    for version in InstrumentVersion.objects.filter(organization=practice.organization):
        # given each built-in version as a Questionnaire, valid R4
        resource = questionnaire_to_fhir(version)
        validate_fhir(resource)
        # when it is imported again
        imported = check_import_questionnaire(
            practice.organization, resource, acting_user=practice.manager
        )
        # then it is a draft of the same survey, with the same questions, scales, scores,
        # anchors and conditions
        assert not imported.created
        assert imported.instrument == version.instrument
        assert imported.version.status == VersionStatus.DRAFT
        assert imported.version.number == version.number + 1
        assert imported.version.definition == version.definition, version.instrument.key
        assert imported.renamed == {}


def test_conditions_go_out_as_enable_when_and_come_back(practice: Practice) -> None:
    # given a survey whose second section depends on every kind of first-section answer
    instrument = conditional_instrument(practice)
    version = current_version(instrument)
    assert version is not None

    # when it goes out as a Questionnaire
    resource = questionnaire_to_fhir(version)

    # then every condition is an enableWhen FHIR readers understand
    validate_fhir(resource)
    found = items(resource)
    assert found["why_low"]["enableWhen"] == [
        {"question": "score", "operator": "<=", "answerInteger": 6}
    ]
    # a scale's range: its codes, any of them
    assert found["what_left"]["enableBehavior"] == "any"
    assert [c["answerCoding"]["code"] for c in found["what_left"]["enableWhen"]] == ["1", "2"]
    assert found["number_ok"]["enableWhen"] == [
        {"question": "contact_ok", "operator": "=", "answerBoolean": True}
    ]
    assert found["number_ok"]["required"] is True
    assert [c["answerCoding"] for c in found["which"]["enableWhen"]] == [
        {"code": "a"},
        {"code": "c"},
    ]
    assert found["which"]["repeats"] is True
    assert found["not_desk"]["enableWhen"] == [
        {"question": "channel", "operator": "!=", "answerCoding": {"code": "b"}}
    ]
    # and read back, they are the same conditions
    imported = check_import_questionnaire(
        practice.organization, resource, acting_user=practice.manager
    )
    assert imported.version.definition == version.definition


# --- Questionnaire in -------------------------------------------------------------------------


def test_a_questionnaire_from_elsewhere_becomes_a_draft_survey(practice: Practice) -> None:
    # when an EHR's Questionnaire is imported
    imported = check_import_questionnaire(
        practice.organization, health_check(), acting_user=practice.manager
    )

    # then it is a new survey with one draft, whose ids are CareBond's
    assert imported.created
    instrument = imported.instrument
    assert (instrument.name, instrument.kind, instrument.languages) == (
        "Visit check",
        "custom",
        ["en"],
    )
    assert imported.version.number == 1
    assert imported.version.status == VersionStatus.DRAFT
    assert imported.renamed == {"1": "q1", "2.1": "q2_1", "2.2": "q2_2", "3.1": "q3_1"}
    definition = imported.version.definition
    check_definition(definition)
    assert [s["key"] for s in definition["sections"]] == ["part_1", "q2", "q3"]
    by_link = {i["link_id"]: i for s in definition["sections"] for i in s["items"]}
    assert by_link["q1"]["type"] == "yes_no"
    assert [o["code"] for o in by_link["q2_1"]["options"]] == ["p", "w", "At the desk"]
    assert by_link["q2_1"]["options"][1]["text"] == {"en": "Website"}
    assert by_link["q2_2"]["type"] == "text"
    assert by_link["q3_1"]["enable_when"] == {"link_id": "q1", "operator": "=", "value": "no"}
    assert definition["derived_from"] == HEALTH_URL
    assert list(
        AuditEvent.objects.filter(target_id=str(instrument.public_id)).values_list(
            "action", flat=True
        )
    ) == ["instrument.created", "instrument.imported"]

    # when the same Questionnaire comes again, changed
    changed = health_check()
    changed["item"][0]["text"] = "Did you get all you came for?"
    again = check_import_questionnaire(practice.organization, changed, acting_user=practice.admin)

    # then it replaces the draft of the same survey; it goes out naming where it came from
    assert (again.instrument, again.created, again.version) == (instrument, False, imported.version)
    assert InstrumentVersion.objects.filter(instrument=instrument).count() == 1
    resource = questionnaire_to_fhir(InstrumentVersion.objects.get(instrument=instrument))
    assert resource["derivedFrom"] == [HEALTH_URL]
    assert resource["status"] == "draft"
    validate_fhir(resource)


HEALTH_URL = "http://ehr.example.org/fhir/Questionnaire/visit-check"


def test_our_questionnaire_comes_back_as_a_new_draft_of_its_survey(practice: Practice) -> None:
    # given the published post-visit survey, exported and reworded elsewhere
    resource = questionnaire(practice, "post-visit")
    published = current_version(practice.instrument("post-visit"))
    items(resource)["went_well"]["text"] = "What went really well?"

    # when it is imported, then imported again
    first = check_import_questionnaire(
        practice.organization, resource, acting_user=practice.manager
    )
    second = check_import_questionnaire(
        practice.organization, resource, acting_user=practice.manager
    )

    # then it is version 2, a draft (replaced the second time); version 1 stays as it was
    assert first.version.number == second.version.number == 2
    assert InstrumentVersion.objects.filter(instrument=first.instrument).count() == 2
    assert published is not None
    published.refresh_from_db()
    assert published.status == VersionStatus.PUBLISHED
    went_well = [i for s in second.version.definition["sections"] for i in s["items"]][-3]
    assert went_well["text"] == {"en": "What went really well?", "es": "¿Qué salió bien?"}
    assert "derived_from" not in second.version.definition


def _without(resource: dict[str, Any], *path: int) -> dict[str, Any]:
    """The resource without the item at ``path`` (indexes into item lists)."""
    found = copy.deepcopy(resource)
    items_ = found["item"]
    for index in path[:-1]:
        items_ = items_[index]["item"]
    del items_[path[-1]]
    return found


def _changed(**at: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A change to the health check's question 2.1 (item[1].item[0])."""

    def change(resource: dict[str, Any]) -> dict[str, Any]:
        resource["item"][1]["item"][0] |= at
        return resource

    return change


def _condition(**condition: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Question 3.1's condition replaced."""

    def change(resource: dict[str, Any]) -> dict[str, Any]:
        resource["item"][2]["item"][0]["enableWhen"] = [condition]
        return resource

    return change


REFUSED = [
    # (change, FHIR path, words of the reason)
    (_changed(type="decimal"), "Questionnaire.item[1].item[0].type", "type 'decimal' is not taken"),
    (_changed(type="display"), "Questionnaire.item[1].item[0].type", "display item"),
    (_changed(type=["choice"]), "Questionnaire.item[1].item[0].type", "expected a string"),
    (_changed(linkId=""), "Questionnaire.item[1].item[0].linkId", "every item needs a linkId"),
    (_changed(linkId="2.2"), "Questionnaire.item[1].item[1].linkId", "unique"),
    (_changed(linkId="2_2"), "Questionnaire.item[1].item[1].linkId", "'q2_2', as does"),
    (
        _changed(answerOption=[{"valueString": "Yes"}]),
        "Questionnaire.item[1].item[0].answerOption",
        "at least two options",
    ),
    (
        _changed(answerValueSet="http://ehr.example.org/vs"),
        "Questionnaire.item[1].item[0].answerValueSet",
        "answerOption",
    ),
    (
        _changed(type="integer", answerOption=None),
        "Questionnaire.item[1].item[0].type",
        "minValue 0 and maxValue 10",
    ),
    (_changed(repeats="yes"), "Questionnaire.item[1].item[0].repeats", "true or false"),
    (
        _changed(item=[{"linkId": "x", "type": "group"}]),
        "Questionnaire.item[1].item[0].item",
        "inside a question",
    ),
    (
        _condition(question="2.2", operator="=", answerString="x"),
        "Questionnaire.item[2].item[0].enableWhen[0].answerString",
        "answered by words a condition cannot compare",
    ),
    (
        _condition(question="1", operator={"=": 1}, answerBoolean=True),
        "Questionnaire.item[2].item[0].enableWhen[0].operator",
        "expected a string",
    ),
    (
        _condition(question="1", operator="exists", answerBoolean=True),
        "Questionnaire.item[2].item[0].enableWhen[0].operator",
        "'exists' is not read",
    ),
    (
        _condition(question="9", operator="=", answerBoolean=True),
        "Questionnaire.item[2].item[0].enableWhen[0].question",
        "not a question of this Questionnaire",
    ),
    (
        _condition(question="1", operator="=", answerInteger=1),
        "Questionnaire.item[2].item[0].enableWhen[0].answerInteger",
        "yes/no question",
    ),
    (
        _condition(question="2.1", operator=">", answerCoding={"code": "p"}),
        "Questionnaire.item[2].item[0].enableWhen[0].operator",
        "compares numbers",
    ),
    (
        _condition(question="2.1", operator="=", answerCoding={"code": "zz"}),
        "Questionnaire.item[2].item[0].enableWhen[0].answerCoding.code",
        "not one of that question's options",
    ),
]


@pytest.mark.parametrize(("change", "path", "why"), REFUSED)
def test_a_questionnaire_a_survey_cannot_be_is_refused_naming_what_where_and_why(
    practice: Practice,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    path: str,
    why: str | None,
) -> None:
    before = written(practice)
    # when a Questionnaire with something CareBond does not ask is imported
    with pytest.raises(InvalidInput) as refused:
        check_import_questionnaire(
            practice.organization, change(health_check()), acting_user=practice.manager
        )
    # then it is refused at its FHIR path, saying why, and nothing is written
    assert refused.value.field == path
    assert refused.value.message.startswith(path)
    if why:
        assert why in refused.value.message
    assert written(practice) == before


@pytest.mark.parametrize(
    ("resource", "path", "why"),
    [
        (load(EXAMPLES / "Questionnaire-f201.json"), "Questionnaire.item[1].item[1].type", "date"),
        (
            load(EXAMPLES / "Questionnaire-3141.json"),
            "Questionnaire.item[0].item[0].item",
            "inside",
        ),
        (health_check(language="fr"), "Questionnaire.language", "English and Spanish"),
        (health_check(item=[]), "Questionnaire.item", "at least one question"),
        (health_check(resourceType="Patient"), "resourceType", "Questionnaire"),
        ([1, 2], "Questionnaire", "expected an object"),
        (
            # 3.1 outside a group, after 1: both in the first section
            health_check(item=[HEALTH_CHECK["item"][0], HEALTH_CHECK["item"][2]["item"][0]]),
            "Questionnaire.item[1].enableWhen[0].question",
            "same section",
        ),
    ],
)
def test_hl7_examples_and_other_shapes_are_refused_with_their_path(
    practice: Practice, resource: Any, path: str, why: str
) -> None:
    before = written(practice)
    with pytest.raises(InvalidInput) as refused:
        check_import_questionnaire(practice.organization, resource, acting_user=practice.manager)
    assert (refused.value.field, why in refused.value.message) == (path, True), refused.value
    assert written(practice) == before


def test_the_hl7_example_without_its_date_question_is_imported(practice: Practice) -> None:
    # given HL7's Lifelines example without its date of birth (a survey asks no dates)
    resource = _without(load(EXAMPLES / "Questionnaire-f201.json"), 1, 1)
    imported = check_import_questionnaire(
        practice.organization, resource, acting_user=practice.manager
    )
    sections = imported.version.definition["sections"]
    assert [(s["key"], [i["link_id"] for i in s["items"]]) for s in sections] == [
        ("part_1", ["q1"]),
        ("q2", ["q2_1", "q2_3", "q2_4"]),
        ("q3", ["q3_1", "q3_2"]),
    ]
    validate_fhir(questionnaire_to_fhir(imported.version))


# --- QuestionnaireResponse out ------------------------------------------------------------------


def test_a_partial_answer_is_in_progress_then_stopped_when_its_link_expires(
    practice: Practice, tuesday: Any
) -> None:
    # given two sections answered in Spanish, not sent
    response = answer(practice, practice.patient, send=False)

    # when it goes out as FHIR
    resource = response_to_fhir(response)

    # then it is in progress, points at its version and names the patient
    validate_fhir(resource)
    instrument = practice.instrument("post-visit")
    assert resource["status"] == "in-progress"
    assert resource["questionnaire"] == f"urn:uuid:{instrument.public_id}|1"
    assert resource["subject"] == {"reference": f"Patient/{practice.patient.public_id}"}
    assert resource["language"] == "es"
    answered = items(resource)
    assert set(answered) == {
        "section-access",
        "section-overall",
        "access_soon",
        "access_seen",
        "provider_rating",
        "recommend",
    }
    assert answered["access_soon"]["answer"] == [
        {
            "valueCoding": {
                "system": "urn:carebond:survey-scale:frequency4",
                "code": "4",
                "display": "Siempre",
            }
        }
    ]
    assert answered["recommend"]["answer"] == [{"valueInteger": 3}]

    # when the link expires
    invitation = response.invitation
    assert invitation is not None
    tuesday.shift(invitation.expires_at - clock.now() + timedelta(minutes=1))
    stop_expired_responses(clock.now())
    response.refresh_from_db()

    # then the partial answer is stopped
    assert response_to_fhir(response)["status"] == "stopped"


def test_a_sent_response_carries_its_comments_and_yes_no_answers(practice: Practice) -> None:
    response = answer(practice, practice.patient, send=True)

    resource = response_to_fhir(Response.objects.get(pk=response.pk))

    validate_fhir(resource)
    assert resource["status"] == "completed"
    assert resource["authored"] == response.submitted_at.isoformat()  # type: ignore[union-attr]
    answered = items(resource)
    assert answered["went_well"]["answer"] == [{"valueString": "La enfermera fue muy amable."}]
    assert answered["do_better"]["answer"] == [{"valueString": "Esperé cuarenta minutos."}]
    assert answered["may_contact"]["answer"] == [{"valueBoolean": True}]
    assert answered["may_contact"]["text"].startswith("¿Podemos")
    # every answered question is one of its Questionnaire's, in the same groups
    version = response.version
    questionnaire_items = items(questionnaire_to_fhir(version))
    assert set(answered) <= set(questionnaire_items)


# --- the facade -------------------------------------------------------------------------------


@pytest.fixture
def fhir_as(
    practice: Practice, users_a: dict[str, User], fhir_for: Callable[[User], Client]
) -> Callable[[str], Client]:
    return lambda role: fhir_for(users_a[role])


def _get(client: Client, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.get(BASE + path, params or {})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _ids(bundle: dict[str, Any]) -> set[str]:
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


def _kept_answers(practice: Practice, tmp_path: Path) -> str:
    """An EHR's answers to a health questionnaire, imported and kept whole: their FHIR id."""
    patient = load(EXAMPLES / "Patient-example.json")
    answers = load(EXAMPLES / "QuestionnaireResponse-f201.json")
    answers["subject"] = {"reference": f"Patient/{patient['id']}"}
    answers["source"] = {"reference": f"Patient/{patient['id']}"}
    answers.pop("author", None)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": answers}],
    }
    run = import_files(
        [write(tmp_path / "ehr.json", bundle)],
        organization=practice.organization,
        source_system="https://ehr.example.org/fhir",
        acting_user=None,
        via="cli",
    )
    assert [p for p in run.problems if not p.get("notice")] == []
    from carebond.interop.models import StoredResource

    return str(StoredResource.objects.get(resource_type="QuestionnaireResponse").public_id)


def test_a_manager_reads_and_searches_responses_audited(
    practice: Practice, fhir_as: Callable[[str], Client]
) -> None:
    # given a sent response and a partial one of another patient
    sent = answer(practice, practice.patient, send=True)
    other = practice.patient_named("Luis", "Ortega", phone="+13125550177")
    partial = answer(practice, other, send=False, subject="visit:2")
    manager = fhir_as(Role.MANAGER)

    # when a manager reads one
    resource = _get(manager, f"QuestionnaireResponse/{sent.public_id}")

    # then it is the response, and the read is audited naming the patient
    validate_fhir(resource)
    assert resource["status"] == "completed"
    event = AuditEvent.objects.filter(action="fhir.questionnaireresponse.read").get()
    assert event.patient_id == str(practice.patient.public_id)

    # and searches find them by patient, status and questionnaire (version)
    instrument = practice.instrument("post-visit")
    url = f"urn:uuid:{instrument.public_id}"
    assert _ids(_get(manager, "QuestionnaireResponse", {"patient": str(other.public_id)})) == {
        str(partial.public_id)
    }
    assert _ids(_get(manager, "QuestionnaireResponse", {"status": "completed"})) == {
        str(sent.public_id)
    }
    assert _ids(_get(manager, "QuestionnaireResponse", {"questionnaire": f"{url}|1"})) == {
        str(sent.public_id),
        str(partial.public_id),
    }
    assert _get(manager, "QuestionnaireResponse", {"questionnaire": f"{url}|2"})["total"] == 0
    assert _get(manager, "QuestionnaireResponse", {"authored": "2026-03-03"})["total"] == 2
    refused = manager.get(BASE + "QuestionnaireResponse", {"status": "amended"})
    assert refused.status_code == 400


def test_survey_answers_are_for_managers_and_an_ehrs_answers_for_clinicians_too(
    practice: Practice, fhir_as: Callable[[str], Client], tmp_path: Path
) -> None:
    # given a survey response and an EHR's answers to a health questionnaire, kept whole
    sent = answer(practice, practice.patient, send=True)
    kept = _kept_answers(practice, tmp_path)

    # then a manager finds both, the survey's first
    manager = _get(fhir_as(Role.MANAGER), "QuestionnaireResponse")
    assert [e["resource"]["id"] for e in manager["entry"]] == [str(sent.public_id), kept]
    # a clinician finds the EHR's only: the survey's is not found, as if it did not exist
    clinician = fhir_as(Role.CLINICIAN)
    assert _ids(_get(clinician, "QuestionnaireResponse")) == {kept}
    assert clinician.get(BASE + f"QuestionnaireResponse/{sent.public_id}").status_code == 404
    assert _get(clinician, f"QuestionnaireResponse/{kept}")["id"] == kept
    # the analyst, the front desk and the liaison may not read answers at all
    for role in (Role.ANALYST, Role.FRONT_DESK, Role.LIAISON):
        assert fhir_as(role).get(BASE + "QuestionnaireResponse").status_code == 403


def test_another_organisation_sees_nothing(
    practice: Practice, outsider_b: User, fhir_for: Callable[[User], Client]
) -> None:
    sent = answer(practice, practice.patient, send=True)
    version = current_version(practice.instrument("post-visit"))
    assert version is not None
    outsider = fhir_for(outsider_b)
    assert outsider.get(BASE + f"QuestionnaireResponse/{sent.public_id}").status_code == 404
    assert outsider.get(BASE + f"Questionnaire/{version.public_id}").status_code == 404
    assert _get(outsider, "QuestionnaireResponse")["total"] == 0
    assert _ids(_get(outsider, "Questionnaire")) & {str(version.public_id)} == set()


def test_anonymous_responses_are_never_served_one_by_one(
    practice: Practice, fhir_as: Callable[[str], Client]
) -> None:
    # given a staff member's anonymous pulse, sent
    nurse = make_staff(practice.organization, "Ana", "Reyes", job_title="Nurse")
    StaffProfile.objects.filter(person=nurse).update(location=practice.main)
    _, token = invite(practice, nurse, "staff-pulse", subject="wave:pulse")
    check_save_section(token, section_key="enps", raw={"enps": "9"}, language="en", send=True)
    assert AnonymousResponse.objects.count() == 1

    # then no QuestionnaireResponse exists for it, nor for anyone
    assert _get(fhir_as(Role.MANAGER), "QuestionnaireResponse")["total"] == 0
    assert list(iter_export_resources(practice.organization.id, "QuestionnaireResponse")) == []


def test_questionnaires_are_read_and_searched_by_url_version_and_status(
    practice: Practice, fhir_as: Callable[[str], Client]
) -> None:
    # given the post-visit survey with a draft version 2
    instrument = practice.instrument("post-visit")
    draft = check_import_questionnaire(
        practice.organization, questionnaire(practice, "post-visit"), acting_user=practice.manager
    ).version
    url = f"urn:uuid:{instrument.public_id}"
    # forms, no one's answers: every role the facade serves reads them (the front desk too)
    desk = fhir_as(Role.FRONT_DESK)

    both = _get(desk, "Questionnaire", {"url": url})
    assert both["total"] == 2
    [second] = [
        e["resource"] for e in _get(desk, "Questionnaire", {"url": url, "version": "2"})["entry"]
    ]
    assert (second["id"], second["status"]) == (str(draft.public_id), "draft")
    drafts = _get(desk, "Questionnaire", {"status": "draft"})
    assert _ids(drafts) == {str(draft.public_id)}
    read = _get(fhir_as(Role.CLINICIAN), f"Questionnaire/{draft.public_id}")
    validate_fhir(read)
    assert fhir_as(Role.ANALYST).get(BASE + "Questionnaire").status_code == 403
    assert desk.get(BASE + "Questionnaire", {"status": "published"}).status_code == 400


def test_the_export_holds_questionnaires_and_identified_responses(
    practice: Practice, tmp_path: Path
) -> None:
    sent = answer(practice, practice.patient, send=True)
    kept = _kept_answers(practice, tmp_path)
    organization_id = practice.organization.id

    exported = list(iter_export_resources(organization_id, "QuestionnaireResponse"))
    questionnaires = list(iter_export_resources(organization_id, "Questionnaire"))

    assert [r["id"] for r in exported] == [str(sent.public_id), kept]
    validate_fhir(copy.deepcopy(exported[0]))
    versions = InstrumentVersion.objects.filter(organization=practice.organization).count()
    assert len(questionnaires) == versions
    # every response points at a Questionnaire of the same export
    canonicals = {f"{q['url']}|{q['version']}" for q in questionnaires}
    assert exported[0]["questionnaire"] in canonicals
