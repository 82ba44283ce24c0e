"""The shape of an instrument version's questions, and the answer scales.

A definition is JSON so that a version is one frozen value (copied to make the next version,
exported whole as a FHIR Questionnaire)::

    {"sections": [{"key": "access", "title": {"en": "...", "es": "..."}, "items": [
        {"link_id": "access_soon", "type": "scale", "scale": "frequency4",
         "text": {"en": "...", "es": "..."}, "required": false,
         "composite": "access", "measure": "", "reverse": false,
         "options": [], "enable_when": null}]}]}

Item types: ``scale`` (a named scale below), ``rating`` (0-10), ``yes_no``, ``choice`` (one
option), ``choices`` (several), ``text`` (a comment). ``measure`` marks the items scores are
built from: ``nps`` (likelihood to recommend, 0-10), ``enps``, ``psych_safety``, ``overall``
(a 0-10 rating), ``contact`` (may we contact you). ``enable_when`` shows an item only when an
earlier section's answer matches: ``{"link_id": "recommend", "operator": "<=", "value": 6}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from carebond.core.errors import InvalidInput


@dataclass(frozen=True)
class Scale:
    key: str
    # The answers, lowest first, coded 1..k; the label of each in every shipped language.
    labels: tuple[dict[str, str], ...]
    top: frozenset[int]  # the codes counted as the top box

    @property
    def size(self) -> int:
        return len(self.labels)


def _labels(*pairs: tuple[str, str]) -> tuple[dict[str, str], ...]:
    return tuple({"en": en, "es": es} for en, es in pairs)


SCALES: dict[str, Scale] = {
    scale.key: scale
    for scale in (
        Scale(
            "frequency4",
            _labels(
                ("Never", "Nunca"),
                ("Sometimes", "A veces"),
                ("Usually", "Casi siempre"),
                ("Always", "Siempre"),
            ),
            frozenset({4}),
        ),
        Scale(
            "agree5",
            _labels(
                ("Strongly disagree", "Totalmente en desacuerdo"),
                ("Disagree", "En desacuerdo"),
                ("Neither agree nor disagree", "Ni de acuerdo ni en desacuerdo"),
                ("Agree", "De acuerdo"),
                ("Strongly agree", "Totalmente de acuerdo"),
            ),
            frozenset({5}),
        ),
        Scale(
            "accuracy7",
            _labels(
                ("Very inaccurate", "Muy inexacto"),
                ("Inaccurate", "Inexacto"),
                ("Somewhat inaccurate", "Algo inexacto"),
                ("Neither accurate nor inaccurate", "Ni exacto ni inexacto"),
                ("Somewhat accurate", "Algo exacto"),
                ("Accurate", "Exacto"),
                ("Very accurate", "Muy exacto"),
            ),
            frozenset({6, 7}),
        ),
        Scale(
            "yes3",
            _labels(
                ("No", "No"),
                ("Yes, somewhat", "Sí, en parte"),
                ("Yes, definitely", "Sí, totalmente"),
            ),
            frozenset({3}),
        ),
    )
}

ITEM_TYPES = ("scale", "rating", "yes_no", "choice", "choices", "text")
MEASURES = ("", "nps", "enps", "psych_safety", "overall", "contact")
OPERATORS = ("=", "!=", "<=", ">=", "in")
LINK_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
YES_NO_LABELS = {"yes": {"en": "Yes", "es": "Sí"}, "no": {"en": "No", "es": "No"}}
RATING_ANCHORS = {
    "low": {"en": "0 = worst possible", "es": "0 = el peor posible"},
    "high": {"en": "10 = best possible", "es": "10 = el mejor posible"},
}
RECOMMEND_ANCHORS = {
    "low": {"en": "0 = not at all likely", "es": "0 = nada probable"},
    "high": {"en": "10 = extremely likely", "es": "10 = muy probable"},
}
TEXT_LIMIT = 2000


def items(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item in order, across sections."""
    return [item for section in definition.get("sections", []) for item in section["items"]]


def item_by_link(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["link_id"]: item for item in items(definition)}


def text_in(texts: dict[str, str], language: str, fallback: str) -> str:
    """The text in the reader's language, else the instrument's fallback language."""
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")


def missing_translations(definition: dict[str, Any], languages: list[str]) -> list[str]:
    """Every text a publication would show untranslated, named by where it is."""
    missing: list[str] = []

    def check(texts: dict[str, str], where: str) -> None:
        for language in languages:
            if not (texts.get(language) or "").strip():
                missing.append(f"{where} ({language})")

    for section in definition.get("sections", []):
        check(section.get("title", {}), f"section {section['key']!r} title")
        for item in section["items"]:
            check(item.get("text", {}), f"question {item['link_id']!r}")
            for option in item.get("options", []):
                check(
                    option.get("text", {}),
                    f"question {item['link_id']!r} option {option['code']!r}",
                )
    return missing


def check_definition(definition: dict[str, Any]) -> None:
    """Refuse a definition a response page could not show or a scorer could not read."""
    sections = definition.get("sections")
    if not isinstance(sections, list) or not sections:
        raise InvalidInput("A survey needs at least one section.", field="sections")
    seen: dict[str, int] = {}
    for index, section in enumerate(sections):
        if not section.get("items"):
            raise InvalidInput(
                f"Section {section.get('key')!r} has no questions.", field="sections"
            )
        for item in section["items"]:
            link_id = item.get("link_id", "")
            where = f"Question {link_id!r}"
            if not LINK_ID.match(link_id):
                raise InvalidInput(
                    f"{where}: an id is lower-case letters, digits and _, starting with a letter.",
                    field="link_id",
                )
            if link_id in seen:
                raise InvalidInput(f"{where} appears twice.", field="link_id")
            if item.get("type") not in ITEM_TYPES:
                raise InvalidInput(f"{where}: unknown type {item.get('type')!r}.", field="type")
            if item["type"] == "scale" and item.get("scale") not in SCALES:
                raise InvalidInput(f"{where}: unknown scale {item.get('scale')!r}.", field="scale")
            if item["type"] in ("choice", "choices") and len(item.get("options", [])) < 2:
                raise InvalidInput(
                    f"{where}: a choice needs at least two options.", field="options"
                )
            if item.get("measure", "") not in MEASURES:
                raise InvalidInput(f"{where}: unknown measure.", field="measure")
            condition = item.get("enable_when")
            if condition:
                _check_condition(condition, where, seen, index)
            seen[link_id] = index


def _check_condition(condition: dict[str, Any], where: str, seen: dict[str, int], at: int) -> None:
    target = condition.get("link_id")
    if target not in seen or seen[target] >= at:
        raise InvalidInput(
            f"{where} depends on {target!r}, which must be a question of an earlier section.",
            field="enable_when",
        )
    if condition.get("operator") not in OPERATORS:
        raise InvalidInput(f"{where}: unknown condition operator.", field="enable_when")


def is_enabled(item: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether a conditional item is shown, given the answers so far."""
    condition = item.get("enable_when")
    if not condition:
        return True
    answer = answers.get(condition["link_id"])
    if answer is None:
        return False
    wanted, operator = condition["value"], condition["operator"]
    if operator == "in":
        return bool(answer in wanted)
    if operator in ("<=", ">="):
        if not isinstance(answer, int) or isinstance(answer, bool):
            return False
        return bool(answer <= wanted if operator == "<=" else answer >= wanted)
    return bool((answer == wanted) == (operator == "="))


def clean_answer(item: dict[str, Any], raw: Any) -> Any:
    """An answer as stored, or InvalidInput naming the question and the accepted values. ``None``
    is a skip."""
    if raw is None or raw == "" or raw == []:
        return None
    where = f"Question {item['link_id']!r}"
    kind = item["type"]
    if kind in ("scale", "rating"):
        top = SCALES[item["scale"]].size if kind == "scale" else 10
        bottom = 1 if kind == "scale" else 0
        try:
            value = int(str(raw))
        except ValueError:
            raise InvalidInput(
                f"{where}: choose one of the answers.", field=item["link_id"], code="answer_choose"
            ) from None
        if not bottom <= value <= top:
            raise InvalidInput(
                f"{where}: {value} is outside {bottom}-{top}.",
                field=item["link_id"],
                code="answer_range",
            )
        return value
    if kind == "yes_no":
        if raw not in ("yes", "no"):
            raise InvalidInput(
                f"{where}: answer yes or no.", field=item["link_id"], code="answer_choose"
            )
        return raw
    codes = [option["code"] for option in item.get("options", [])]
    if kind == "choice":
        if raw not in codes:
            raise InvalidInput(
                f"{where}: {raw!r} is not one of its options.", field=item["link_id"]
            )
        return raw
    if kind == "choices":
        picked = raw if isinstance(raw, list) else [raw]
        unknown = [code for code in picked if code not in codes]
        if unknown:
            raise InvalidInput(
                f"{where}: {unknown[0]!r} is not one of its options.",
                field=item["link_id"],
                code="answer_choose",
            )
        return [code for code in codes if code in picked]
    text = str(raw).strip()
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(
            f"{where}: at most {TEXT_LIMIT} characters ({len(text)} given).",
            field=item["link_id"],
            code="answer_too_long",
        )
    return text or None
