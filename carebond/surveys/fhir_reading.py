"""A FHIR Questionnaire (JSON) read into an instrument version's definition. Pure: no database.

Every refusal names what is wrong, where (the FHIR path, and the question's linkId) and why,
as ``QuestionnaireProblem`` (a 422 at that path); nothing is guessed. What CareBond reads:

- top-level ``group`` items are sections; questions outside a group are gathered, in order,
  into sections of their own (``part_1``...). A group inside a group is refused.
- ``choice`` (with ``answerOption``: codings, strings or integers) is a choice, or several
  when it ``repeats``; options coded 1..k in a CareBond scale's system are that scale.
  ``integer`` from 0 to 10 (the minValue and maxValue extensions) is a rating; ``boolean`` is
  yes/no; ``text`` and ``string`` are a comment. Other types (decimal, date, display...) have
  no place in a survey and are refused.
- ``linkId`` is required. One that is not a CareBond question id (lower-case letters, digits
  and _, starting with a letter) is rewritten to one (``1.1`` -> ``q1_1``); two that become
  the same are refused. Conditions follow the rewritten ids.
- ``enableWhen`` on one question of an earlier section: ``=``, ``!=``, ``<``, ``<=``, ``>``,
  ``>=`` with an integer, a coding or a boolean of that question's kind; several ``=`` with
  ``enableBehavior`` ``any`` are "one of". ``exists``, conditions on two questions, on a later
  question or on one in the same section are refused.
- texts in the Questionnaire's language (English or Spanish; English when it says none), and
  the other language from the translation extension.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from carebond.core.errors import InvalidInput
from carebond.core.fhir.parsing import MappingError, as_list, as_object, text
from carebond.surveys.definitions import LINK_ID, MEASURES, SCALES
from carebond.surveys.fhir import (
    INSTRUMENT_EXTENSION,
    ITEM_EXTENSION,
    LANGUAGES,
    MAX_VALUE,
    MIN_VALUE,
    RATING_TOP,
    SCALE_SYSTEM,
    SECTION_PREFIX,
    TRANSLATION,
)
from carebond.surveys.models import InstrumentKind, Moment

TEXT_LIMIT = 500  # as the builder: a question's, an option's or a section title's words
TITLE_LIMIT = 200  # an instrument's name
CODE_LIMIT = 60
SECTION_KEY_LIMIT = 40
LINK_ID_LIMIT = 60
MOST_QUESTIONS = 300
MOST_OPTIONS = 100
OPERATORS = {"=": "=", "!=": "!=", "<=": "<=", ">=": ">=", "<": "<=", ">": ">="}
UNSUPPORTED_TYPES = {
    "display": "a display item shows text without asking anything; put the words in a "
    "question's or a section's text",
    "open-choice": "a choice with a typed-in answer mixes a score and a comment; ask a choice "
    "and a text question",
    "decimal": "a survey asks choices, 0-10 ratings, yes/no and comments",
    "date": "a survey asks choices, 0-10 ratings, yes/no and comments",
    "dateTime": "a survey asks choices, 0-10 ratings, yes/no and comments",
    "time": "a survey asks choices, 0-10 ratings, yes/no and comments",
    "url": "a survey asks choices, 0-10 ratings, yes/no and comments",
    "attachment": "a survey never asks for files",
    "reference": "a survey never asks for references to other records",
    "quantity": "a survey asks choices, 0-10 ratings, yes/no and comments",
    "question": "'question' is an STU3 type",
}


class QuestionnaireProblem(InvalidInput):
    """What is wrong with a Questionnaire, where (``field``: the FHIR path) and why."""

    default_code = "questionnaire_invalid"


def problem(path: str, message: str) -> QuestionnaireProblem:
    return QuestionnaireProblem(f"{path}: {message}", field=path)


@dataclass
class ReadQuestionnaire:
    """What an import makes of a Questionnaire: the definition of a draft version, and what a
    new instrument takes from it (its name, description, languages, kind)."""

    url: str
    definition: dict[str, Any]
    title: dict[str, str]
    description: str
    languages: list[str]
    primary: str
    kind: str = InstrumentKind.CUSTOM
    moment: str = ""
    anonymous: bool | None = None
    renamed: dict[str, str] = field(default_factory=dict)  # linkId as sent -> CareBond id


def _language(value: Any, path: str) -> str:
    tag = text(value, path, 35).lower()
    base = tag.split("-")[0] if tag else "en"
    if base not in LANGUAGES:
        raise problem(path, f"CareBond's surveys are written in English and Spanish, not {tag!r}")
    return base


def texts_of(
    element: dict[str, Any], name: str, path: str, primary: str, limit: int = TEXT_LIMIT
) -> dict[str, str]:
    """The element's text in the primary language and its translations (English, Spanish;
    other languages are not kept)."""
    where = f"{path}.{name}"
    found: dict[str, str] = {}
    main = text(element.get(name), where, limit, strict=True)
    if main:
        found[primary] = main
    sibling = as_object(element.get(f"_{name}"), f"{path}._{name}")
    for n, extension in enumerate(as_list(sibling.get("extension"), f"{path}._{name}.extension")):
        at = f"{path}._{name}.extension[{n}]"
        extension = as_object(extension, at)
        if extension.get("url") != TRANSLATION:
            continue
        parts = {
            str(as_object(part, at).get("url")): as_object(part, at)
            for part in as_list(extension.get("extension"), f"{at}.extension")
        }
        tag = text((parts.get("lang") or {}).get("valueCode"), f"{at}.lang", 35).lower()
        language = tag.split("-")[0]
        content = text((parts.get("content") or {}).get("valueString"), f"{at}.content")
        if len(content) > limit:
            raise problem(f"{at}.content", f"longer than {limit} characters")
        if language in LANGUAGES and language != primary and content:
            found[language] = content
    return found


def _sub_extensions(element: dict[str, Any], url: str, path: str) -> dict[str, dict[str, Any]]:
    """The parts of one of CareBond's complex extensions, by name."""
    for n, extension in enumerate(as_list(element.get("extension"), f"{path}.extension")):
        extension = as_object(extension, f"{path}.extension[{n}]")
        if extension.get("url") == url:
            at = f"{path}.extension[{n}].extension"
            return {
                str(as_object(part, at).get("url")): as_object(part, at)
                for part in as_list(extension.get("extension"), at)
            }
    return {}


def _value_integer(element: dict[str, Any], url: str, path: str) -> int | None:
    for n, extension in enumerate(as_list(element.get("extension"), f"{path}.extension")):
        extension = as_object(extension, f"{path}.extension[{n}]")
        if extension.get("url") == url:
            value = extension.get("valueInteger")
            if not isinstance(value, int) or isinstance(value, bool):
                raise problem(f"{path}.extension[{n}].valueInteger", "expected a whole number")
            return value
    return None


_NOT_ID = re.compile(r"[^a-z0-9]+")


def carebond_id(link_id: str, limit: int) -> str:
    """A linkId as a CareBond id: lower case, every other character run an _, a letter first."""
    if LINK_ID.match(link_id) and len(link_id) <= limit:
        return link_id
    cleaned = _NOT_ID.sub("_", link_id.lower()).strip("_")
    if not cleaned[:1].isalpha():
        cleaned = f"q{cleaned}"
    return cleaned[:limit].rstrip("_")


class _Reader:
    def __init__(self, primary: str) -> None:
        self.primary = primary
        self.sent: dict[str, str] = {}  # every linkId as sent -> where (unique in FHIR)
        # CareBond ids taken, per kind (a section's key may be a question's id too).
        self.taken: dict[str, dict[str, str]] = {"section": {}, "question": {}}
        self.renamed: dict[str, str] = {}  # a question's linkId as sent -> its CareBond id
        self.section_of: dict[str, int] = {}  # question id -> its section's index
        self.items: dict[str, dict[str, Any]] = {}
        self.sent_items: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (path, as sent)

    def link_id(self, item: dict[str, Any], path: str, kind: str) -> str:
        sent = text(item.get("linkId"), f"{path}.linkId", 255, strict=True)
        if not sent:
            raise problem(f"{path}.linkId", "missing: every item needs a linkId")
        if sent in self.sent:
            raise problem(
                f"{path}.linkId",
                f"linkId {sent!r} is also {self.sent[sent]}'s: linkIds are unique in a "
                "Questionnaire",
            )
        self.sent[sent] = path
        if kind == "section":
            ours = carebond_id(sent.removeprefix(SECTION_PREFIX), SECTION_KEY_LIMIT)
        else:
            ours = carebond_id(sent, LINK_ID_LIMIT)
        taken = self.taken[kind]
        if not ours or ours in taken:
            raise problem(
                f"{path}.linkId",
                f"linkId {sent!r} becomes the CareBond {kind} id {ours!r}, as does "
                f"{taken.get(ours, 'another item')}: ids must differ in their letters and digits",
            )
        taken[ours] = f"{path} ({sent!r})"
        if kind == "question":
            self.renamed[sent] = ours
        return ours

    def section(self, group: dict[str, Any], path: str, index: int) -> dict[str, Any]:
        key = self.link_id(group, path, "section")
        items = as_list(group.get("item"), f"{path}.item")
        if not items:
            raise problem(f"{path}.item", f"section {key!r} has no questions")
        questions = []
        for n, item in enumerate(items):
            at = f"{path}.item[{n}]"
            item = as_object(item, at)
            if item.get("type") == "group":
                raise problem(at, "a group inside a group: a survey has sections of questions")
            questions.append(self.question(item, at, index))
        title = texts_of(group, "text", path, self.primary)
        return {"key": key, "title": title, "items": questions}

    def question(self, item: dict[str, Any], path: str, index: int) -> dict[str, Any]:
        if len(self.items) >= MOST_QUESTIONS:
            raise problem(path, f"a survey asks at most {MOST_QUESTIONS} questions")
        link_id = self.link_id(item, path, "question")
        where = f"{path} (linkId {text(item.get('linkId'), path)!r})"
        kind = self.kind(item, path, where)
        if as_list(item.get("item"), f"{path}.item"):
            raise problem(f"{path}.item", "questions inside a question are not asked in surveys")
        repeats = item.get("repeats", False)
        if not isinstance(repeats, bool):
            raise problem(f"{path}.repeats", "expected true or false")
        if repeats and kind != "choice":
            raise problem(f"{path}.repeats", f"{where}: only a choice takes several answers")
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise problem(f"{path}.required", "expected true or false")
        texts = texts_of(item, "text", path, self.primary)
        if not texts:
            raise problem(f"{path}.text", f"{where}: a question needs its words")
        question: dict[str, Any] = {
            "link_id": link_id,
            "type": "choices" if repeats else kind,
            "text": texts,
            "required": required,
            "composite": "",
            "measure": "",
            "reverse": False,
            "options": [],
            "enable_when": None,
        }
        if kind == "choice":
            self.options(item, path, where, question)
        self.extras(item, path, question)
        self.section_of[link_id] = index
        self.items[link_id] = question
        self.sent_items[link_id] = (path, item)
        return question

    def kind(self, item: dict[str, Any], path: str, where: str) -> str:
        kind = text(item.get("type"), f"{path}.type", 40)
        if kind in UNSUPPORTED_TYPES:
            raise problem(
                f"{path}.type", f"{where}: type {kind!r} is not taken: {UNSUPPORTED_TYPES[kind]}"
            )
        if kind == "boolean":
            return "yes_no"
        if kind in ("text", "string"):
            return "text"
        if kind == "choice":
            return "choice"
        if kind == "integer":
            low = _value_integer(item, MIN_VALUE, path)
            high = _value_integer(item, MAX_VALUE, path)
            if (low, high) != (0, RATING_TOP):
                raise problem(
                    f"{path}.type",
                    f"{where}: an integer question is read as a 0-10 rating only when it says "
                    "so (the minValue 0 and maxValue 10 extensions)",
                )
            return "rating"
        if kind == "group":
            raise problem(path, "a group inside a group: a survey has sections of questions")
        raise problem(
            f"{path}.type",
            f"{where}: {str(kind)[:40]!r} is not a Questionnaire item type CareBond asks "
            "(choice, boolean, integer 0-10, text, string)",
        )

    def options(
        self, item: dict[str, Any], path: str, where: str, question: dict[str, Any]
    ) -> None:
        if item.get("answerValueSet"):
            raise problem(
                f"{path}.answerValueSet",
                f"{where}: options in a value set are not looked up; list them in answerOption",
            )
        options = as_list(item.get("answerOption"), f"{path}.answerOption")
        if len(options) < 2:
            raise problem(f"{path}.answerOption", f"{where}: a choice needs at least two options")
        if len(options) > MOST_OPTIONS:
            raise problem(f"{path}.answerOption", f"{where}: at most {MOST_OPTIONS} options")
        read: list[tuple[str, dict[str, str]]] = []
        systems: set[str] = set()
        for n, option in enumerate(options):
            at = f"{path}.answerOption[{n}]"
            option = as_object(option, at)
            code, labels, system = self.option(option, at, where)
            if any(code == earlier for earlier, _ in read):
                raise problem(at, f"{where}: the option {code!r} is listed twice")
            read.append((code, labels))
            systems.add(system)
        scale = self.scale_of(systems, [code for code, _ in read])
        if scale:
            question["type"] = "scale"
            question["scale"] = scale
        else:
            question["options"] = [{"code": code, "text": labels} for code, labels in read]

    def option(
        self, option: dict[str, Any], at: str, where: str
    ) -> tuple[str, dict[str, str], str]:
        if "valueCoding" in option:
            value = as_object(option["valueCoding"], f"{at}.valueCoding")
            code = text(value.get("code"), f"{at}.valueCoding.code", CODE_LIMIT, strict=True)
            if not code:
                raise problem(f"{at}.valueCoding.code", f"{where}: an option needs its code")
            labels = texts_of(value, "display", f"{at}.valueCoding", self.primary)
            system = text(value.get("system"), f"{at}.valueCoding.system", 200)
            return code, labels or {self.primary: code}, system
        if "valueString" in option:
            words = texts_of(option, "valueString", at, self.primary)
            code = words.get(self.primary) or next(iter(words.values()), "")
            if not code or len(code) > CODE_LIMIT:
                raise problem(
                    f"{at}.valueString",
                    f"{where}: an option given as words is its own code: 1 to {CODE_LIMIT} "
                    "characters (or give a valueCoding with a code)",
                )
            return code, words, ""
        if "valueInteger" in option:
            value = option["valueInteger"]
            if not isinstance(value, int) or isinstance(value, bool):
                raise problem(f"{at}.valueInteger", "expected a whole number")
            return str(value), {self.primary: str(value)}, ""
        raise problem(
            at, f"{where}: an option is a valueCoding, a valueString or a valueInteger here"
        )

    @staticmethod
    def scale_of(systems: set[str], codes: list[str]) -> str:
        """A CareBond scale when every option is coded in its system, 1..k in order."""
        if len(systems) != 1:
            return ""
        key = next(iter(systems)).removeprefix(SCALE_SYSTEM)
        scale = SCALES.get(key) if next(iter(systems)).startswith(SCALE_SYSTEM) else None
        if scale and codes == [str(n) for n in range(1, scale.size + 1)]:
            return scale.key
        return ""

    def extras(self, item: dict[str, Any], path: str, question: dict[str, Any]) -> None:
        """What CareBond's item extension carries: the score it feeds, its composite, reverse
        scoring, a rating's anchors."""
        parts = _sub_extensions(item, ITEM_EXTENSION, path)
        at = f"{path}.extension({ITEM_EXTENSION})"
        measure = text(parts.get("measure", {}).get("valueCode"), f"{at}.measure", 40)
        if measure not in MEASURES:
            raise problem(f"{at}.measure", f"{measure!r} is not a score CareBond keeps")
        question["measure"] = measure
        composite = text(parts.get("composite", {}).get("valueCode"), f"{at}.composite", 40)
        question["composite"] = carebond_id(composite, 40) if composite else ""
        reverse = parts.get("reverse", {}).get("valueBoolean", False)
        if not isinstance(reverse, bool):
            raise problem(f"{at}.reverse", "expected true or false")
        question["reverse"] = reverse
        anchors = {
            end: self.anchor(parts.get(f"anchor-{end}"), f"{at}.anchor-{end}")
            for end in ("low", "high")
        }
        if question["type"] == "rating" and anchors.get("low") and anchors.get("high"):
            question["anchors"] = anchors

    @staticmethod
    def anchor(extension: dict[str, Any] | None, at: str) -> dict[str, str]:
        """A rating's anchor: its words per language."""
        words = {}
        for n, part in enumerate(as_list((extension or {}).get("extension"), f"{at}.extension")):
            part = as_object(part, f"{at}.extension[{n}]")
            language = part.get("url")
            value = text(
                part.get("valueString"), f"{at}.extension[{n}].valueString", TEXT_LIMIT, strict=True
            )
            if language in LANGUAGES and value:
                words[str(language)] = value
        return words

    def condition(self, item: dict[str, Any], path: str, index: int) -> dict[str, Any] | None:
        conditions = as_list(item.get("enableWhen"), f"{path}.enableWhen")
        if not conditions:
            return None
        where = f"{path} (linkId {text(item.get('linkId'), path)!r})"
        behavior = item.get("enableBehavior")
        read = [
            self.one_condition(
                as_object(c, f"{path}.enableWhen[{n}]"), f"{path}.enableWhen[{n}]", where, index
            )
            for n, c in enumerate(conditions)
        ]
        if len(read) == 1:
            return read[0]
        at = f"{path}.enableWhen"
        if len({c["link_id"] for c in read}) > 1:
            raise problem(at, f"{where}: CareBond shows a question depending on one question only")
        if behavior != "any" or any(c["operator"] != "=" for c in read):
            raise problem(
                at,
                f"{where}: several conditions are read only as 'one of' (operator '=' each, "
                "enableBehavior 'any')",
            )
        return self.one_of(read[0]["link_id"], [c["value"] for c in read])

    def one_of(self, link_id: str, values: list[Any]) -> dict[str, Any]:
        """Several accepted answers: a range of a scale or a rating says so (<=, >=)."""
        target = self.items[link_id]
        if target["type"] in ("scale", "rating") and len(values) > 1:
            top = SCALES[target["scale"]].size if target["type"] == "scale" else RATING_TOP
            bottom = 1 if target["type"] == "scale" else 0
            wanted = sorted(set(values))
            if wanted == list(range(bottom, wanted[-1] + 1)):
                return {"link_id": link_id, "operator": "<=", "value": wanted[-1]}
            if wanted == list(range(wanted[0], top + 1)):
                return {"link_id": link_id, "operator": ">=", "value": wanted[0]}
        if len(values) == 1:
            return {"link_id": link_id, "operator": "=", "value": values[0]}
        return {"link_id": link_id, "operator": "in", "value": values}

    def one_condition(
        self, condition: dict[str, Any], at: str, where: str, index: int
    ) -> dict[str, Any]:
        sent = text(condition.get("question"), f"{at}.question", 255)
        if not sent:
            raise problem(f"{at}.question", f"{where}: a condition names the question it is on")
        link_id = self.renamed.get(sent)
        if link_id is None or link_id not in self.items:
            raise problem(
                f"{at}.question",
                f"{where}: depends on {sent!r}, which is not a question of this Questionnaire",
            )
        if self.section_of[link_id] > index:
            raise problem(f"{at}.question", f"{where}: depends on {sent!r}, which comes after it")
        if self.section_of[link_id] == index:
            raise problem(
                f"{at}.question",
                f"{where}: depends on {sent!r} in the same section; CareBond shows a question "
                "depending on an earlier section's answer (each section is a page)",
            )
        operator = text(condition.get("operator"), f"{at}.operator", 20)
        if operator == "exists":
            raise problem(
                f"{at}.operator",
                f"{where}: 'exists' is not read; name the answers that show the question",
            )
        if operator not in OPERATORS:
            raise problem(f"{at}.operator", f"{where}: {str(operator)[:20]!r} is not an operator")
        target = self.items[link_id]
        value = self.answer(condition, at, where, target)
        if operator in ("<", ">", "<=", ">="):
            if not isinstance(value, int):
                raise problem(
                    f"{at}.operator",
                    f"{where}: {operator!r} compares numbers; {sent!r} is answered by a choice",
                )
            value = value - 1 if operator == "<" else value + 1 if operator == ">" else value
        return {"link_id": link_id, "operator": OPERATORS[operator], "value": value}

    def answer(self, condition: dict[str, Any], at: str, where: str, target: dict[str, Any]) -> Any:
        kind = target["type"]
        given = [key for key in condition if key.startswith("answer")]
        if len(given) != 1:
            raise problem(at, f"{where}: a condition has one answer[x]")
        name, value = given[0], condition[given[0]]
        expected = {
            "rating": "answerInteger",
            "yes_no": "answerBoolean",
            "scale": "answerCoding or answerInteger",
            "choice": "answerCoding",
            "choices": "answerCoding",
        }.get(kind, "")
        wrong = problem(
            f"{at}.{name}",
            f"{where}: the question it depends on is a {kind.replace('_', '/')} question, "
            f"answered by {expected or 'words a condition cannot compare'}",
        )
        if name == "answerInteger" and kind in ("rating", "scale"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise problem(f"{at}.{name}", "expected a whole number")
            return value
        if name == "answerBoolean" and kind == "yes_no":
            if not isinstance(value, bool):
                raise problem(f"{at}.{name}", "expected true or false")
            return "yes" if value else "no"
        if name == "answerCoding" and kind in ("scale", "choice", "choices"):
            code = text(as_object(value, f"{at}.{name}").get("code"), f"{at}.{name}.code", 60)
            if kind == "scale":
                if not code.isdigit() or not 1 <= int(code) <= SCALES[target["scale"]].size:
                    raise problem(f"{at}.{name}.code", f"{where}: not a code of that scale")
                return int(code)
            if code not in {o["code"] for o in target["options"]}:
                raise problem(f"{at}.{name}.code", f"{where}: not one of that question's options")
            return code
        raise wrong


def _instrument_parts(resource: dict[str, Any], found: ReadQuestionnaire) -> None:
    parts = _sub_extensions(resource, INSTRUMENT_EXTENSION, "Questionnaire")
    at = f"Questionnaire.extension({INSTRUMENT_EXTENSION})"
    kind = text(parts.get("kind", {}).get("valueCode"), f"{at}.kind", 40)
    if kind and kind not in InstrumentKind.values:
        raise problem(f"{at}.kind", f"{kind!r} is not a kind of survey CareBond has")
    moment = text(parts.get("moment", {}).get("valueCode"), f"{at}.moment", 40)
    if moment and moment not in Moment.values:
        raise problem(f"{at}.moment", f"{moment!r} is not a moment of truth CareBond measures")
    anonymous = parts.get("anonymous", {}).get("valueBoolean")
    if anonymous is not None and not isinstance(anonymous, bool):
        raise problem(f"{at}.anonymous", "expected true or false")
    found.kind, found.moment, found.anonymous = kind or InstrumentKind.CUSTOM, moment, anonymous


def read_questionnaire(resource: Any) -> ReadQuestionnaire:
    """The Questionnaire as a draft definition, or QuestionnaireProblem (what, where, why)."""
    try:
        return _read(resource)
    except MappingError as error:
        raise problem(error.path, error.message) from None


def _read(resource: Any) -> ReadQuestionnaire:
    resource = as_object(resource, "Questionnaire")
    if resource.get("resourceType") != "Questionnaire":
        raise problem("resourceType", "expected a Questionnaire")
    primary = _language(resource.get("language"), "Questionnaire.language")
    reader = _Reader(primary)
    items = as_list(resource.get("item"), "Questionnaire.item")
    if not items:
        raise problem("Questionnaire.item", "a survey needs at least one question")
    sections: list[dict[str, Any]] = []
    loose: list[tuple[int, dict[str, Any]]] = []  # questions outside a group, in a run
    title = texts_of(resource, "title", "Questionnaire", primary, TITLE_LIMIT)

    def close_run() -> None:
        if not loose:
            return
        key = f"part_{len(sections) + 1}"
        while key in reader.taken["section"]:
            key += "_"
        reader.taken["section"][key] = "a section of questions outside a group"
        questions = [
            reader.question(item, f"Questionnaire.item[{n}]", len(sections)) for n, item in loose
        ]
        sections.append({"key": key, "title": dict(title), "items": questions})
        loose.clear()

    for n, item in enumerate(items):
        item = as_object(item, f"Questionnaire.item[{n}]")
        if item.get("type") == "group":
            close_run()
            sections.append(reader.section(item, f"Questionnaire.item[{n}]", len(sections)))
        else:
            loose.append((n, item))
    close_run()
    for index, section in enumerate(sections):  # conditions name questions read before
        for question in section["items"]:
            path, sent = reader.sent_items[question["link_id"]]
            question["enable_when"] = reader.condition(sent, path, index)
    languages = sorted(
        {language for texts in _every_text(sections) for language in texts} | {primary},
        key=LANGUAGES.index,
    )
    found = ReadQuestionnaire(
        url=text(resource.get("url"), "Questionnaire.url", 500, strict=True),
        definition={"sections": sections},
        title=title,
        description=text(resource.get("description"), "Questionnaire.description", 2000),
        languages=languages,
        primary=primary,
        renamed={sent: ours for sent, ours in reader.renamed.items() if sent != ours},
    )
    _instrument_parts(resource, found)
    return found


def _every_text(sections: list[dict[str, Any]]) -> list[dict[str, str]]:
    found = []
    for section in sections:
        found.append(section.get("title", {}))
        for item in section["items"]:
            found.append(item["text"])
            found += [option["text"] for option in item.get("options", [])]
    return found
