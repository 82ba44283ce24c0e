"""Templates: merge fields from the allow-list only, no health information in appointment
messages, and the SMS segment count."""

from __future__ import annotations

import pytest

from carebond.messaging.builtin import BUILT_IN
from carebond.messaging.wording import lint_template, render, reply_health_words, sms_length


def test_every_built_in_template_passes_the_linter_and_fits_its_purpose() -> None:
    for built_in in BUILT_IN:
        result = lint_template(
            purpose=built_in.purpose,
            subject=built_in.subject,
            body_text=built_in.body_text,
            body_html=built_in.body_html,
        )
        assert result.ok, (built_in.key, built_in.language, result.problems)


def test_every_built_in_template_is_shipped_in_english_and_spanish() -> None:
    languages: dict[tuple[str, str], set[str]] = {}
    for b in BUILT_IN:
        languages.setdefault((b.key, b.channel), set()).add(b.language)
    assert all(found == {"en", "es"} for found in languages.values()), languages


def test_unknown_fields_tags_filters_and_syntax_errors_are_each_named() -> None:
    # when
    result = lint_template(
        purpose="care",
        subject="{{ patient.name }}",
        body_text="Hi {{ first_name }} {% if x %}y{% endif %} {{ preferred_name|upper }}",
        body_html="{{ }} and {{ unclosed",
    )
    # then
    messages = [(p.part, p.message) for p in result.problems]
    assert ("subject", "{{ patient.name }}: write the field name alone.") in messages
    assert any("Unknown merge field {{ first_name }}" in m for _, m in messages)
    assert any("no tags" in m for _, m in messages)
    assert any("preferred_name|upper" in m for _, m in messages)
    assert any(part == "body_html" and "syntax" in m for part, m in messages)
    unclosed = lint_template(purpose="care", subject="", body_text="Hi {{ preferred_name")
    assert unclosed.problems[0].message == "A merge field is not closed: write {{ field_name }}."


@pytest.mark.parametrize("field", ["diagnosis", "procedure", "specialty", "free_text"])
def test_health_information_is_refused_in_appointment_templates_only(field: str) -> None:
    body = "Your {{ " + field + " }} visit is on {{ appointment_time }}."
    refused = lint_template(purpose="appointment", subject="", body_text=body)
    allowed = lint_template(purpose="care", subject="", body_text=body)
    assert not refused.ok
    assert "health information" in refused.problems[0].message
    assert allowed.ok


def test_render_fills_fields_and_escapes_html_only_in_the_html_part() -> None:
    rendered = render(
        subject="For {{ preferred_name }}",
        body_text="Hi {{ preferred_name }}",
        body_html="<p>Hi {{ preferred_name }}</p>",
        values={"preferred_name": "Ana <b>", "not_a_field": "x"},
    )
    assert rendered.subject == "For Ana <b>"
    assert rendered.body_text == "Hi Ana <b>"
    assert rendered.body_html == "<p>Hi Ana &lt;b&gt;</p>"


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters cost two septets
        ("€" * 81, "GSM-7", 2),
        ("á" * 70, "UCS-2", 1),  # "á" is not in GSM 03.38: the whole text becomes UCS-2
        ("á" * 71, "UCS-2", 2),
        ("🙂" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("", "GSM-7", 0),
    ],
)
def test_sms_segments_follow_gsm7_and_ucs2_limits(text: str, encoding: str, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_the_characters_that_force_ucs2_are_named() -> None:
    assert sms_length("Ábralo aquí").unicode_characters == "Áí"


def test_a_reply_naming_a_diagnosis_or_result_is_caught() -> None:
    assert reply_health_words("Your biopsy results are ready") == ["biopsy"]
    assert reply_health_words("Sus resultados están listos") == ["resultado"]
    assert reply_health_words("See you Tuesday at 3") == []
