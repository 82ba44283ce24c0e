"""Checks and normal forms for what people tell us: phones, emails, languages, dates, NPIs.

Each function returns the normal form or raises InvalidInput naming the field and the reason.
"""

from __future__ import annotations

import zoneinfo
from datetime import date

import langcodes
import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from carebond.core.dates import BIRTH_DATES
from carebond.core.errors import InvalidInput

EARLIEST_BIRTH_DATE = BIRTH_DATES.earliest


def normalize_phone(value: str, *, region: str, field: str = "phone") -> str:
    """E.164 (+15551234567). Numbers without a country code are read in the organisation's."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidInput(
            f"{value!r} is not a phone number ({error._msg}).", field=field
        ) from error
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(
            f"{value!r} has the wrong number of digits for a phone number.", field=field
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """For display: national format within the country, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(value: str, *, field: str = "email") -> str:
    cleaned = value.strip()
    try:
        validate_email(cleaned)
    except ValidationError as error:
        raise InvalidInput(f"{value!r} is not an email address.", field=field) from error
    local, _, domain = cleaned.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_language(value: str, *, field: str = "preferred_language") -> str:
    """A BCP-47 tag such as 'es', 'es-MX' or 'hmn' (as FHIR's communication.language uses).

    Staff may type the language's name instead ('Spanish', 'español', 'Vietnamese'): it is
    stored as its tag, so every part of CareBond (and every EHR) reads the same code."""
    tag = value.strip().replace("_", "-")
    if not tag:
        return ""
    if langcodes.tag_is_valid(tag):
        return langcodes.standardize_tag(tag)
    try:
        return str(langcodes.find(value.strip()).to_tag())
    except LookupError:
        raise InvalidInput(
            f"{value!r} is neither a language we know nor a language code; type its name "
            "(Spanish) or a BCP-47 tag (es, es-MX, vi).",
            field=field,
        ) from None


def language_name(tag: str) -> str:
    if not tag:
        return ""
    try:
        return str(langcodes.Language.get(tag).display_name())
    except (ValueError, LookupError):
        return tag


def validate_birth_date(value: date | None, *, field: str = "birth_date") -> date | None:
    if value is not None:
        BIRTH_DATES.check(value, field=field)
    return value


def parse_date(value: str, *, field: str) -> date | None:
    """ISO dates (1984-03-07); also 03/07/1984 read as month/day/year, as US forms write it."""
    text = value.strip()
    if not text:
        return None
    try:
        if "/" in text:
            month, day, year = (int(part) for part in text.split("/"))
            return validate_birth_date(date(year, month, day), field=field)
        return validate_birth_date(date.fromisoformat(text), field=field)
    except ValueError as error:
        raise InvalidInput(
            f"{value!r} is not a date; write it as YYYY-MM-DD (e.g. 1984-03-07).", field=field
        ) from error


def validate_time_zone_name(value: str, *, field: str = "time_zone") -> str:
    if value and value not in zoneinfo.available_timezones():
        raise InvalidInput(f"{value!r} is not a time zone (e.g. America/Chicago).", field=field)
    return value


def validate_npi(value: str, *, field: str = "npi") -> str:
    """US National Provider Identifier: 10 digits with a Luhn check digit (prefix 80840)."""
    digits = value.strip()
    if not digits:
        return ""
    if len(digits) != 10 or not digits.isdigit():
        raise InvalidInput(f"{value!r} is not an NPI: an NPI has 10 digits.", field=field)
    total = 24  # the constant for the 80840 prefix
    for index, char in enumerate(reversed(digits[:-1])):
        number = int(char)
        if index % 2 == 0:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    if (10 - total % 10) % 10 != int(digits[-1]):
        raise InvalidInput(f"{value!r} is not a valid NPI (its check digit is wrong).", field=field)
    return digits
