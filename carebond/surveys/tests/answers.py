"""Survey data for the FHIR and API tests: responses given through the link (partial, stopped,
sent with comments), a survey with a condition on every kind of question, and a Questionnaire
as another system writes one."""

from __future__ import annotations

import copy
from typing import Any

from carebond.people.models import Person
from carebond.surveys.instrument_actions import (
    check_add_section,
    check_create_instrument,
    check_publish_version,
    check_save_item,
)
from carebond.surveys.models import Instrument, Response
from carebond.surveys.response_actions import check_save_section
from carebond.surveys.tests.conftest import Practice, invite

ACCESS = {"access_soon": "4", "access_seen": "2"}
OVERALL = {"provider_rating": "9", "recommend": "3"}
COMMENTS = {
    "went_well": "La enfermera fue muy amable.",
    "do_better": "Esperé cuarenta minutos.",
    "may_contact": "yes",
}


def answer(
    practice: Practice,
    person: Person,
    *,
    send: bool,
    subject: str = "visit:1",
    language: str = "es",
) -> Response:
    """A post-visit survey answered by its link: two sections saved (and sent, with comments,
    when ``send``)."""
    invitation, token = invite(practice, person, subject=subject)
    check_save_section(token, section_key="access", raw=ACCESS, language=language, send=False)
    check_save_section(token, section_key="overall", raw=OVERALL, language=language, send=False)
    if send:
        check_save_section(
            token, section_key="comments", raw=COMMENTS, language=language, send=True
        )
    return Response.objects.get(invitation=invitation)


def conditional_instrument(practice: Practice) -> Instrument:
    """A published survey whose second section shows questions by the first section's answers:
    a rating (<= 6), a scale (<= 2), yes/no (= yes), a choice (one of two; not b)."""
    user = practice.manager
    instrument = check_create_instrument(
        practice.organization,
        name="Front desk check",
        kind="custom",
        anonymous=False,
        languages=["en", "es"],
        acting_user=user,
    )
    check_add_section(
        instrument, key="first", title_en="First", title_es="Primero", acting_user=user
    )
    options = [("a", "Phone", "Teléfono"), ("b", "Desk", "Mostrador"), ("c", "Web", "Web")]
    first: list[tuple[str, str, dict[str, Any]]] = [
        ("score", "rating", {"measure": "overall"}),
        ("resolved", "scale", {"scale": "yes3"}),
        ("contact_ok", "yes_no", {}),
        ("channel", "choice", {"options": options}),
    ]
    for link_id, kind, extra in first:
        check_save_item(
            instrument,
            section_key="first",
            link_id=link_id,
            kind=kind,
            text_en=f"{link_id} in English",
            text_es=f"{link_id} en español",
            acting_user=user,
            **extra,
        )
    check_add_section(
        instrument, key="second", title_en="Second", title_es="Segundo", acting_user=user
    )
    second: list[tuple[str, str, tuple[str, str, Any], dict[str, Any]]] = [
        ("why_low", "text", ("score", "<=", 6), {}),
        ("what_left", "text", ("resolved", "<=", 2), {}),
        ("number_ok", "yes_no", ("contact_ok", "=", "yes"), {"required": True}),
        ("which", "choices", ("channel", "in", ["a", "c"]), {"options": options}),
        ("not_desk", "text", ("channel", "!=", "b"), {}),
    ]
    for link_id, kind, condition, extra in second:
        target, operator, value = condition
        check_save_item(
            instrument,
            section_key="second",
            link_id=link_id,
            kind=kind,
            text_en=f"{link_id} in English",
            text_es=f"{link_id} en español",
            enable_when={"link_id": target, "operator": operator, "value": value},
            acting_user=user,
            **extra,
        )
    check_publish_version(instrument, acting_user=user)
    return instrument


HEALTH_CHECK: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "url": "http://ehr.example.org/fhir/Questionnaire/visit-check",
    "status": "active",
    "title": "Visit check",
    "language": "en-US",
    "item": [
        {"linkId": "1", "text": "Did you get what you came for?", "type": "boolean"},
        {
            "linkId": "2",
            "text": "About your visit",
            "type": "group",
            "item": [
                {
                    "linkId": "2.1",
                    "text": "How did you book?",
                    "type": "choice",
                    "answerOption": [
                        {"valueCoding": {"system": "http://ehr.example.org/how", "code": "p"}},
                        {"valueCoding": {"code": "w", "display": "Website"}},
                        {"valueString": "At the desk"},
                    ],
                },
                {"linkId": "2.2", "text": "Anything else?", "type": "string"},
            ],
        },
        {
            "linkId": "3",
            "text": "Follow-up",
            "type": "group",
            "item": [
                {
                    "linkId": "3.1",
                    "text": "What was missing?",
                    "type": "text",
                    "enableWhen": [{"question": "1", "operator": "=", "answerBoolean": False}],
                }
            ],
        },
    ],
}


def health_check(**changes: Any) -> dict[str, Any]:
    """The Questionnaire another system sends, with ``changes`` applied at the top."""
    return {**copy.deepcopy(HEALTH_CHECK), **changes}
