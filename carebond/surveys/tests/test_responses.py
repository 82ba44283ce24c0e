"""Answering by the link: partial answers kept, one send only, expired and unknown links,
answers out of range, questions shown by condition; what a send starts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from carebond.core.errors import InvalidInput
from carebond.surveys.models import Invitation, Response, ResponseStatus
from carebond.surveys.response_actions import LinkProblem, check_save_section, open_survey
from carebond.surveys.tests.conftest import Practice, invite
from carebond.touchpoints.models import Touchpoint

ACCESS = {"access_soon": "4", "access_seen": "3"}


def test_partial_answers_are_kept_until_sent(practice: Practice) -> None:
    invitation, token = invite(practice, practice.patient)
    check_save_section(token, section_key="access", raw=ACCESS, language="es", send=False)
    response = Response.objects.get(invitation=invitation)
    assert response.status == ResponseStatus.IN_PROGRESS
    assert response.answers == {"access_soon": 4, "access_seen": 3}
    # the page opened again shows them
    assert open_survey(token).answers == {"access_soon": 4, "access_seen": 3}
    # a section saved again replaces that section's answers (a cleared answer is a skip)
    check_save_section(
        token, section_key="access", raw={"access_soon": "2"}, language="es", send=False
    )
    response.refresh_from_db()
    assert response.answers == {"access_soon": 2}
    assert not Invitation.objects.get(pk=invitation.pk).responded


def test_a_sent_survey_is_answered_once_and_on_the_timeline(practice: Practice) -> None:
    invitation, token = invite(practice, practice.patient)
    check_save_section(token, section_key="access", raw=ACCESS, language="en", send=False)
    check_save_section(
        token,
        section_key="comments",
        raw={
            "went_well": "The nurse was kind and explained everything clearly.",
            "may_contact": "no",
        },
        language="en",
        send=True,
    )
    response = Response.objects.get(invitation=invitation)
    assert response.status == ResponseStatus.COMPLETED
    assert response.comments.get().text.startswith("The nurse was kind")
    assert Invitation.objects.get(pk=invitation.pk).responded
    touchpoint = Touchpoint.objects.get(person=practice.patient, kind="survey_response")
    assert touchpoint.location == practice.main
    # a second send (a double click, the back button) is refused and changes nothing
    with pytest.raises(LinkProblem) as refused:
        check_save_section(
            token, section_key="comments", raw={"went_well": "changed"}, language="en", send=True
        )
    assert refused.value.code == "answered"
    assert response.comments.get().text.startswith("The nurse was kind")
    assert open_survey(token).sent


def test_unknown_and_expired_links(practice: Practice, tuesday: Any) -> None:
    with pytest.raises(LinkProblem) as unknown:
        open_survey("not-a-token")
    assert unknown.value.code == "missing"
    invitation, token = invite(practice, practice.patient)
    check_save_section(token, section_key="access", raw=ACCESS, language="en", send=False)
    assert invitation.sent_at is not None
    tuesday.shift(invitation.expires_at - invitation.sent_at + timedelta(minutes=1))
    with pytest.raises(LinkProblem) as expired:
        check_save_section(token, section_key="access", raw=ACCESS, language="en", send=True)
    assert expired.value.code == "expired"
    # what was saved before is kept
    assert Response.objects.get(invitation=invitation).answers == {
        "access_soon": 4,
        "access_seen": 3,
    }


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"access_soon": "5"}, "answer_range"),  # a 4-point scale
        ({"access_soon": "often"}, "answer_choose"),
        ({"access_soon": "0"}, "answer_range"),
    ],
)
def test_answers_out_of_range_are_refused_and_nothing_is_written(
    practice: Practice, raw: dict[str, str], code: str
) -> None:
    invitation, token = invite(practice, practice.patient)
    with pytest.raises(InvalidInput) as refused:
        check_save_section(token, section_key="access", raw=raw, language="en", send=False)
    assert (refused.value.field, refused.value.code) == ("access_soon", code)
    assert not Response.objects.filter(invitation=invitation).exists()


def test_a_rating_out_of_range_names_the_question(practice: Practice) -> None:
    _, token = invite(practice, practice.patient)
    with pytest.raises(InvalidInput) as refused:
        check_save_section(
            token, section_key="overall", raw={"recommend": "11"}, language="en", send=False
        )
    assert refused.value.field == "recommend"
    assert "outside 0-10" in refused.value.message


def test_a_detractor_opens_a_recovery_case(practice: Practice) -> None:
    invitation, token = invite(practice, practice.patient)
    check_save_section(
        token,
        section_key="overall",
        raw={"recommend": "3", "provider_rating": "5"},
        language="en",
        send=False,
    )
    check_save_section(token, section_key="comments", raw={}, language="en", send=True)
    case = Response.objects.get(invitation=invitation).recovery_cases.get()
    assert case.source == "detractor"
    assert case.owner == practice.manager  # the main clinic's manager
    assert case.due_at == case.opened_at + timedelta(hours=24)
