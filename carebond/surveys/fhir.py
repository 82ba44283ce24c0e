"""Surveys in FHIR R4: every version of an instrument as a Questionnaire, every identified
response as a QuestionnaireResponse (docs/surveys.md, "FHIR and API").

- ``Questionnaire``: one per version (its id is the version's). ``url`` names the instrument
  (``urn:uuid:<instrument id>``, the same for all its versions) and ``version`` its number, so
  ``url|version`` is the canonical a response points at. Sections are ``group`` items; a
  question's texts go out in the instrument's fallback language with the other language as
  the FHIR translation extension, so English and Spanish travel together.
- ``QuestionnaireResponse``: identified responses only, with their status as stored
  (``in-progress``, ``stopped`` for a partial answer whose link expired, ``completed``), the
  person as subject, and every answer, comments included (read from their encrypted rows).
  Anonymous responses are never individual resources: they carry no person, and one answer
  set on its own, with its week and slices, could point at its author in a small team.

Both types belong to surveys, but what the FHIR import brings of them (an EHR's forms and the
answers to them) is kept whole beside the organisation's surveys (``keeps_imported``); a
Questionnaire file becomes an instrument through the surveys API (``fhir_actions``).

Question types: ``scale`` is a ``choice`` whose options carry the scale's code system
(``urn:carebond:survey-scale:<scale>``, codes 1..k); ``rating`` is an ``integer`` from 0 to 10
(the minValue and maxValue extensions), so that conditions such as "recommend <= 6" stay
comparisons (``answerInteger``); ``yes_no`` is a ``boolean``; ``choice`` a ``choice`` and
``choices`` a ``choice`` that ``repeats``; ``text`` (a comment) is ``text``. What FHIR has no
element for (the score a question feeds, its composite, reverse scoring, a rating's anchors,
the instrument's kind) travels in CareBond's extensions.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from carebond.core.fhir.building import FhirResource, coding, compact, instant, new_resource
from carebond.core.fhir.search import (
    ID_PARAM,
    SearchParam,
    date_filter,
    one_of,
    param,
    uuids,
)
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.core.permissions import PHI_READERS
from carebond.people.access import HISTORY_READERS
from carebond.people.fhir import patient_params, person_if_patient, person_reference
from carebond.surveys.access import SURVEY_MANAGERS
from carebond.surveys.definitions import SCALES, item_by_link, text_in
from carebond.surveys.models import (
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Response,
    ResponseStatus,
    VersionStatus,
)

URL_PREFIX = "urn:uuid:"
INSTRUMENT_SYSTEM = "urn:carebond:survey-instrument"  # identifier: the instrument's key
SCALE_SYSTEM = "urn:carebond:survey-scale:"  # + the scale's key
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
# CareBond's extensions: the instrument's kind, moment and anonymity; a question's score,
# composite, reverse scoring and a rating's anchors.
INSTRUMENT_EXTENSION = "urn:carebond:survey-instrument"
ITEM_EXTENSION = "urn:carebond:survey-item"
LANGUAGES = ("en", "es")
# A section's linkId: its key, apart from the questions' ids (FHIR: linkIds are unique in a
# Questionnaire; in a definition a section and a question may share a name, as "enps" does).
SECTION_PREFIX = "section-"
RATING_TOP = 10

FHIR_ITEM_TYPES = {
    "scale": "choice",
    "rating": "integer",
    "yes_no": "boolean",
    "choice": "choice",
    "choices": "choice",
    "text": "text",
}
STATUS_TO_FHIR = {
    VersionStatus.DRAFT: "draft",
    VersionStatus.PUBLISHED: "active",
    VersionStatus.RETIRED: "retired",
}
SUBJECT_TYPES = {
    InstrumentKind.STAFF_PULSE: ["Practitioner"],
    InstrumentKind.REFERRAL_SOURCE: ["Practitioner", "Organization"],
}


def questionnaire_url(instrument: Instrument) -> str:
    return f"{URL_PREFIX}{instrument.public_id}"


def canonical(version: InstrumentVersion) -> str:
    return f"{questionnaire_url(version.instrument)}|{version.number}"


def translated(texts: dict[str, str], primary: str) -> tuple[str | None, dict[str, Any] | None]:
    """A text element and its ``_text`` sibling: the primary language's text (else another
    one's) and every other language's as a translation extension."""
    shown = {language: texts.get(language, "").strip() for language in LANGUAGES}
    main = shown.get(primary) or next((t for t in shown.values() if t), "")
    if not main:
        return None, None
    extensions = [
        {
            "url": TRANSLATION,
            "extension": [
                {"url": "lang", "valueCode": language},
                {"url": "content", "valueString": text},
            ],
        }
        for language, text in shown.items()
        if language != primary and text
    ]
    return main, {"extension": extensions} if extensions else None


def _with_text(element: dict[str, Any], name: str, texts: dict[str, str], primary: str) -> None:
    main, translations = translated(texts, primary)
    if main:
        element[name] = main
    if translations:
        element[f"_{name}"] = translations


def fhir_name(key: str) -> str:
    """A computer-friendly name (FHIR: a capital letter, then letters, digits and _)."""
    name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", key) if part)
    return name if name[:1].isalpha() else f"Survey{name}"


# --- Questionnaire ----------------------------------------------------------------------------


def _options(item: dict[str, Any], primary: str) -> list[dict[str, Any]]:
    if item["type"] == "scale":
        scale = SCALES[item["scale"]]
        system = SCALE_SYSTEM + scale.key
        pairs = [(system, str(n), label) for n, label in enumerate(scale.labels, start=1)]
    else:
        pairs = [("", o["code"], o.get("text", {})) for o in item.get("options", [])]
    options = []
    for system, code, labels in pairs:
        value = coding(system, code)
        _with_text(value, "display", labels, primary)
        options.append({"valueCoding": value})
    return options


def _answer_of(target: dict[str, Any], value: Any) -> dict[str, Any]:
    """The answer[x] of an enableWhen on the target question."""
    kind = target["type"]
    if kind == "rating":
        return {"answerInteger": value}
    if kind == "yes_no":
        return {"answerBoolean": value == "yes"}
    if kind == "scale":
        return {"answerCoding": coding(SCALE_SYSTEM + target["scale"], str(value))}
    return {"answerCoding": {"code": str(value)}}


def _wanted_values(target: dict[str, Any], operator: str, value: Any) -> list[Any] | None:
    """The answers a condition accepts, listed, when FHIR cannot say it with one comparison
    (a coded answer has no order; ``in`` is a list). None: one comparison says it."""
    if operator == "in":
        return list(value) if isinstance(value, list) else [value]
    if target["type"] == "scale" and operator in ("<=", ">="):
        codes = range(1, SCALES[target["scale"]].size + 1)
        return [n for n in codes if (n <= value if operator == "<=" else n >= value)]
    return None


def enable_when(item: dict[str, Any], by_link: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The item's condition as enableWhen (and enableBehavior when it lists answers)."""
    condition = item.get("enable_when")
    if not condition or condition.get("link_id") not in by_link:
        return {}
    target = by_link[condition["link_id"]]
    operator, value = condition["operator"], condition["value"]
    wanted = _wanted_values(target, operator, value)
    if wanted is None:
        fhir_operator = operator if target["type"] == "rating" or operator in ("=", "!=") else "="
        return {
            "enableWhen": [
                {"question": target["link_id"], "operator": fhir_operator}
                | _answer_of(target, value)
            ]
        }
    found: dict[str, Any] = {
        "enableWhen": [
            {"question": target["link_id"], "operator": "="} | _answer_of(target, one)
            for one in wanted
        ]
    }
    if len(wanted) > 1:
        found["enableBehavior"] = "any"
    return found


def _item_extension(item: dict[str, Any], primary: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if item.get("measure"):
        parts.append({"url": "measure", "valueCode": item["measure"]})
    if item.get("composite"):
        parts.append({"url": "composite", "valueCode": item["composite"]})
    if item.get("reverse"):
        parts.append({"url": "reverse", "valueBoolean": True})
    for end in ("low", "high"):  # a rating's anchors: one part per language
        texts = (item.get("anchors") or {}).get(end) or {}
        words = [{"url": lang, "valueString": texts[lang]} for lang in LANGUAGES if texts.get(lang)]
        if words:
            parts.append({"url": f"anchor-{end}", "extension": words})
    return [{"url": ITEM_EXTENSION, "extension": parts}] if parts else []


def question_item(
    item: dict[str, Any], by_link: dict[str, dict[str, Any]], primary: str
) -> dict[str, Any]:
    kind = item["type"]
    question: dict[str, Any] = {"linkId": item["link_id"]}
    extensions = _item_extension(item, primary)
    if kind == "rating":
        extensions += [
            {"url": MIN_VALUE, "valueInteger": 0},
            {"url": MAX_VALUE, "valueInteger": RATING_TOP},
        ]
    if extensions:
        question["extension"] = extensions
    _with_text(question, "text", item.get("text", {}), primary)
    question["type"] = FHIR_ITEM_TYPES[kind]
    question |= enable_when(item, by_link)
    if item.get("required"):
        question["required"] = True
    if kind == "choices":
        question["repeats"] = True
    if kind in ("scale", "choice", "choices"):
        question["answerOption"] = _options(item, primary)
    return question


def _instrument_extension(instrument: Instrument) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"url": "kind", "valueCode": instrument.kind}]
    if instrument.moment:
        parts.append({"url": "moment", "valueCode": instrument.moment})
    parts.append({"url": "anonymous", "valueBoolean": instrument.anonymous})
    return [{"url": INSTRUMENT_EXTENSION, "extension": parts}]


def questionnaire_to_fhir(version: InstrumentVersion) -> FhirResource:
    """One version of an instrument, with its sections, questions, options and conditions, in
    both languages. Never names anyone: no PHI."""
    instrument = version.instrument
    primary = instrument.fallback_language
    definition = version.definition
    by_link = item_by_link(definition)
    resource = new_resource(
        "Questionnaire",
        version.public_id,
        {"lastUpdated": instant(version.published_at or version.created_at)},
    )
    resource["language"] = primary
    resource["extension"] = _instrument_extension(instrument)
    resource["url"] = questionnaire_url(instrument)
    resource["identifier"] = [{"system": INSTRUMENT_SYSTEM, "value": instrument.key}]
    resource["version"] = str(version.number)
    resource["name"] = fhir_name(instrument.key)
    _with_text(resource, "title", {"en": instrument.name, "es": instrument.name_es}, primary)
    if definition.get("derived_from"):
        resource["derivedFrom"] = [definition["derived_from"]]
    resource["status"] = STATUS_TO_FHIR[VersionStatus(version.status)]
    resource["subjectType"] = SUBJECT_TYPES.get(InstrumentKind(instrument.kind), ["Patient"])
    resource["date"] = instant(version.published_at or version.created_at)
    resource["publisher"] = instrument.organization.name
    resource["description"] = instrument.description
    groups = []
    for section in definition.get("sections", []):
        group: dict[str, Any] = {"linkId": SECTION_PREFIX + section["key"]}
        _with_text(group, "text", section.get("title", {}), primary)
        group["type"] = "group"
        group["item"] = [question_item(item, by_link, primary) for item in section["items"]]
        if group["item"]:
            groups.append(group)
    resource["item"] = groups
    return compact(resource)


def version_rows(organization_id: int) -> QuerySet[InstrumentVersion]:
    return (
        InstrumentVersion.objects.filter(organization_id=organization_id)
        .select_related("instrument__organization")
        .order_by("pk")
    )


def instrument_ids(values: list[str]) -> list[Any]:
    """The instruments named by Questionnaire urls (``urn:uuid:<id>``, or ``<url>|<version>``)."""
    return uuids([v.partition("|")[0].removeprefix(URL_PREFIX) for v in values])


def _by_url(organization_id: int, modifier: str, values: list[str]) -> Q:
    return Q(instrument__public_id__in=instrument_ids(values))


def _by_version(organization_id: int, modifier: str, values: list[str]) -> Q:
    numbers = [int(v) for v in (v.strip() for v in values) if v.isascii() and v.isdigit()]
    return Q(number__in=[n for n in numbers if n < 2**31])


QUESTIONNAIRE_PARAMS: tuple[SearchParam, ...] = (
    ID_PARAM,
    param("url", "uri", "The instrument: urn:uuid:<id> (every version).", _by_url),
    param("version", "token", "The version's number.", _by_version),
    param(
        "status",
        "token",
        "draft, active (published) or retired.",
        one_of("status", {fhir: ours for ours, fhir in STATUS_TO_FHIR.items()}, "status"),
    ),
)


# --- QuestionnaireResponse --------------------------------------------------------------------


def _answers(item: dict[str, Any], value: Any, language: str) -> list[dict[str, Any]]:
    kind = item["type"]
    if kind == "rating":
        return [{"valueInteger": int(value)}]
    if kind == "yes_no":
        return [{"valueBoolean": value == "yes"}]
    if kind == "text":
        return [{"valueString": str(value)}]
    if kind == "scale":
        scale = SCALES[item["scale"]]
        label = scale.labels[int(value) - 1] if 1 <= int(value) <= scale.size else {}
        return [
            {
                "valueCoding": coding(
                    SCALE_SYSTEM + scale.key, str(value), text_in(label, language, "en")
                )
            }
        ]
    labels = {o["code"]: o.get("text", {}) for o in item.get("options", [])}
    picked = value if isinstance(value, list) else [value]
    return [
        {"valueCoding": coding("", str(code), text_in(labels.get(code, {}), language, "en"))}
        for code in picked
    ]


def response_to_fhir(response: Response) -> FhirResource:
    """An identified response: its status, the person, when, and each answer given, in the
    sections of the version it answered. Comments are decrypted here (PHI: the caller audits
    the read)."""
    version = response.version
    instrument = version.instrument
    language = response.language or instrument.fallback_language
    given = dict(response.answers)
    given |= {comment.link_id: comment.text for comment in response.comments.all()}
    resource = new_resource(
        "QuestionnaireResponse", response.public_id, {"lastUpdated": instant(response.updated_at)}
    )
    resource["language"] = language
    resource["questionnaire"] = canonical(version)
    resource["status"] = response.status
    resource["subject"] = person_reference(response.person)
    resource["authored"] = instant(response.submitted_at or response.updated_at)
    fallback = instrument.fallback_language
    groups = []
    for section in version.definition.get("sections", []):
        answered = [
            compact(
                {
                    "linkId": item["link_id"],
                    "text": text_in(item.get("text", {}), language, fallback),
                    "answer": _answers(item, given[item["link_id"]], language),
                }
            )
            for item in section["items"]
            if given.get(item["link_id"]) not in (None, "", [])
        ]
        if answered:
            title = text_in(section.get("title", {}), language, fallback)
            group = {"linkId": SECTION_PREFIX + section["key"], "text": title, "item": answered}
            groups.append(compact(group))
    resource["item"] = groups
    return compact(resource)


def response_rows(organization_id: int) -> QuerySet[Response]:
    """Identified responses only: anonymous ones live apart and are never served one by one."""
    return (
        Response.objects.filter(organization_id=organization_id)
        .select_related("version__instrument", "person")
        .prefetch_related("comments")
        .order_by("pk")
    )


def _by_questionnaire(organization_id: int, modifier: str, values: list[str]) -> Q:
    """``urn:uuid:<instrument>`` (any version) or ``urn:uuid:<instrument>|<version>``."""
    combined = Q(pk__in=[])
    for value in values:
        url, _, number = value.strip().partition("|")
        ids = instrument_ids([url])
        if not ids:
            continue
        wanted = Q(version__instrument__public_id=ids[0])
        if number:
            if not (number.isascii() and number.isdigit() and int(number) < 2**31):
                continue
            wanted &= Q(version__number=int(number))
        combined |= wanted
    return combined


RESPONSE_PARAMS: tuple[SearchParam, ...] = (
    ID_PARAM,
    *patient_params("person"),
    param(
        "status",
        "token",
        "in-progress, stopped (a partial answer whose link expired) or completed.",
        one_of("status", list(ResponseStatus.values), "status"),
    ),
    param(
        "authored",
        "date",
        "The day it was last answered (UTC), e.g. ge2026-03-01.",
        date_filter("updated_at__date", "authored"),
    ),
    param(
        "questionnaire",
        "reference",
        "The instrument (urn:uuid:<id>) or one version of it (urn:uuid:<id>|<version>).",
        _by_questionnaire,
    ),
)


FHIR_TYPES = (
    FhirTypeModule(
        "Questionnaire",
        sources=(FhirRows(version_rows, questionnaire_to_fhir, params=QUESTIONNAIRE_PARAMS),),
        # Forms, no one's answers: every role the facade serves.
        policy=PHI_READERS,
        documentation="Every version of the organisation's surveys, in English and Spanish "
        "(the translation extension); then Questionnaires imported and kept whole.",
        keeps_imported=True,
    ),
    FhirTypeModule(
        "QuestionnaireResponse",
        sources=(
            FhirRows(
                response_rows,
                response_to_fhir,
                params=RESPONSE_PARAMS,
                patient_of=person_if_patient,
                # Survey answers and comments: managers and administrators.
                policy=SURVEY_MANAGERS,
            ),
        ),
        # Answers to health questionnaires an EHR sent (a PHQ-9, an intake form) are clinical:
        # minimum necessary, as the medical-history summary.
        policy=HISTORY_READERS,
        documentation="Identified survey responses (managers; anonymous ones never), then "
        "answers imported and kept whole (clinical roles).",
        keeps_imported=True,
    ),
)
