"""A real FHIR client (SMART's fhirclient) reads a survey response and the Questionnaire it
answered from a running server, parsed by the client's own R4 models, and follows the
response's canonical to its Questionnaire by a search."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fhirclient import client
from fhirclient.models.questionnaire import Questionnaire
from fhirclient.models.questionnaireresponse import QuestionnaireResponse

from carebond.accounts.actions import do_create_api_token
from carebond.surveys.tests.answers import answer
from carebond.surveys.tests.conftest import Practice

pytestmark = pytest.mark.django_db(transaction=True)


def test_fhirclient_reads_a_response_and_finds_its_questionnaire(
    fhir_client: Callable[[str | None], client.FHIRClient], practice: Practice
) -> None:
    # given a patient's sent post-visit survey, and a manager's token
    sent = answer(practice, practice.patient, send=True)
    _, token = do_create_api_token(practice.manager, name="ehr", acting_user=None)
    smart = fhir_client(token)

    # when the client reads the response
    read = QuestionnaireResponse.read(str(sent.public_id), smart.server)

    # then it has the patient, the status and the answers, comments included
    assert read.status == "completed"
    assert read.subject.reference == f"Patient/{practice.patient.public_id}"
    answers = {
        item.linkId: item.answer[0] for group in read.item for item in group.item if item.answer
    }
    assert answers["recommend"].valueInteger == 3
    assert answers["access_soon"].valueCoding.code == "4"
    assert answers["may_contact"].valueBoolean is True
    assert answers["went_well"].valueString == "La enfermera fue muy amable."

    # when it follows the canonical to the Questionnaire (url and version)
    url, _, version = read.questionnaire.partition("|")
    [found] = list(
        Questionnaire.where(struct={"url": url, "version": version}).perform_resources_iter(
            smart.server
        )
    )

    # then it is the version answered, every answered question among its items
    assert (found.url, found.version, found.status) == (url, "1", "active")
    assert found.title == "Post-visit patient experience"
    questions = {item.linkId for group in found.item for item in group.item}
    assert set(answers) <= questions
    again = Questionnaire.read(found.id, smart.server)
    assert again.id == str(sent.version.public_id)
