"""The words of a message: merge fields from an allow-list, the template linter, rendering, and
the SMS segment count.

Templates use ``{{ field }}`` and nothing else: no tags, no filters, no attribute lookups, so a
template can never reach data it was not given. Fields that carry health information are refused
in appointment templates (HHS minimum necessary: a reminder never names a diagnosis, a procedure
or a specialty).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, TextNode, VariableNode

# Every merge field a template may use, with what it is (shown in the editor).
MERGE_FIELDS: dict[str, str] = {
    "preferred_name": "The name the person wants to be called",
    "organization": "The organisation's name",
    "location": "The location's name",
    "appointment_time": "Date and time, in the recipient's time zone and language",
    "call_back_number": "The number to call back",
    "link": "A link for this message (confirm, survey, booking), on the organisation's domain",
    "join_link": "The patient's video visit page (video visits)",
    "choices": "The numbered choices of an automatic question (which visit?)",
    "unsubscribe_link": "The one-click unsubscribe link (emails)",
    "staff_name": "The staff member who sends it",
    "specialty": "The clinic's specialty (health information)",
    "procedure": "The procedure (health information)",
    "diagnosis": "The diagnosis (health information)",
    "free_text": "Words typed by staff for this message (may hold health information)",
}
# Fields that reveal health information: never in appointment templates or reminders.
PHI_FIELDS = frozenset({"specialty", "procedure", "diagnosis", "free_text"})
PHI_FREE_PURPOSES = frozenset({"appointment"})

_engine = Engine(autoescape=False, libraries={}, builtins=[])
_html_engine = Engine(autoescape=True, libraries={}, builtins=[])


@dataclass
class Problem:
    """One thing wrong with a template, and which of its parts it is in."""

    part: str  # subject, body_text, body_html
    message: str


@dataclass
class LintResult:
    problems: list[Problem] = field(default_factory=list)
    fields_used: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems


def _nodes(source: str, part: str, engine: Engine, result: LintResult) -> list[Node]:
    try:
        return list(engine.from_string(source).nodelist)
    except TemplateSyntaxError as error:
        result.problems.append(Problem(part, f"Template syntax error: {error}."))
        return []


def lint_template(*, purpose: str, subject: str, body_text: str, body_html: str = "") -> LintResult:
    """Everything wrong with a template at once: syntax, unknown fields, tags, filters, and
    health information in a purpose that must not carry it."""
    result = LintResult()
    for part, source, engine in (
        ("subject", subject, _engine),
        ("body_text", body_text, _engine),
        ("body_html", body_html, _html_engine),
    ):
        for node in _nodes(source, part, engine, result):
            if isinstance(node, TextNode):
                if any(mark in node.s for mark in ("{{", "}}", "{%", "%}")):
                    result.problems.append(
                        Problem(part, "A merge field is not closed: write {{ field_name }}.")
                    )
                continue
            if not isinstance(node, VariableNode):
                result.problems.append(
                    Problem(
                        part, "Only merge fields like {{ preferred_name }} are allowed, no tags."
                    )
                )
                continue
            expression = node.filter_expression
            name = str(expression.var)
            if expression.filters or "." in name:
                result.problems.append(
                    Problem(part, f"{{{{ {expression.token} }}}}: write the field name alone.")
                )
                continue
            if name not in MERGE_FIELDS:
                known = ", ".join(sorted(MERGE_FIELDS))
                result.problems.append(
                    Problem(part, f"Unknown merge field {{{{ {name} }}}}. Known fields: {known}.")
                )
                continue
            result.fields_used.add(name)
            if name in PHI_FIELDS and purpose in PHI_FREE_PURPOSES:
                result.problems.append(
                    Problem(
                        part,
                        f"{{{{ {name} }}}} reveals health information; appointment messages "
                        "carry the minimum necessary (no diagnosis, procedure, specialty or "
                        "free text).",
                    )
                )
    return result


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


def render(*, subject: str, body_text: str, body_html: str, values: dict[str, str]) -> Rendered:
    """Fill the merge fields. Call only on a template that passed ``lint_template``."""
    known = {name: values.get(name, "") for name in MERGE_FIELDS}
    return Rendered(
        subject=_engine.from_string(subject).render(Context(known, autoescape=False)).strip(),
        body_text=_engine.from_string(body_text).render(Context(known, autoescape=False)).strip(),
        body_html=_html_engine.from_string(body_html).render(Context(known)) if body_html else "",
    )


# GSM 03.38: the basic set costs one septet, the extension set two (escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    # The characters that forced UCS-2, so the writer can replace them.
    unicode_characters: str = ""


def sms_length(text: str) -> SmsLength:
    """How many SMS segments a text costs: 160 GSM-7 septets in one, 153 each when split; 70
    UCS-2 units in one, 67 each when split (the rest is the concatenation header)."""
    if not text:
        return SmsLength("GSM-7", 0, 0)
    outside = [c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION]
    if not outside:
        septets = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        segments = 1 if septets <= 160 else -(-septets // 153)
        return SmsLength("GSM-7", septets, segments)
    units = len(text.encode("utf-16-le")) // 2
    segments = 1 if units <= 70 else -(-units // 67)
    return SmsLength("UCS-2", units, segments, "".join(dict.fromkeys(outside)))


# Words that make a staff reply reveal health information. Texts and emails are not private:
# anything clinical goes by a secure link instead (the care-message template).
HEALTH_WORDS = (
    "diagnos",
    "biopsy",
    "cancer",
    "tumor",
    "tumour",
    "oncolog",
    "chemo",
    "hiv",
    "std",
    "pregnan",
    "miscarriage",
    "abortion",
    "psychiatr",
    "depression",
    "schizo",
    "bipolar",
    "addiction",
    "overdose",
    "rehab",
    "dialysis",
    "diabet",
    "hepatitis",
    "test result",
    "lab result",
    "positive for",
    "negative for",
    "prescription",
    "medication",
    "dosage",
    "surgery",
    "procedure",
    "mri",
    "ct scan",
    "x-ray",
    "colonoscopy",
    "mammogram",
    "diagnóstico",
    "cáncer",
    "embaraz",
    "resultado",
    "receta",
    "medicamento",
    "cirugía",
)


def reply_health_words(text: str) -> list[str]:
    """The health words a reply contains (whole-word starts, any case), in the order found."""
    import re

    lower = text.lower()
    return [
        word for word in HEALTH_WORDS if re.search(r"(?<![a-záéíóúñ])" + re.escape(word), lower)
    ]
