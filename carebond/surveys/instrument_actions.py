"""Writes to instruments: the built-in set, the builder's edits, versions and publication.

A version that has responses is frozen: an edit to it is made on a new draft version (a copy),
so every response keeps the exact questions it answered. A draft is published only when every
text is translated into every language the instrument is offered in.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.surveys import builtin
from carebond.surveys.definitions import (
    ITEM_TYPES,
    MEASURES,
    SCALES,
    check_definition,
    item_by_link,
    missing_translations,
)
from carebond.surveys.models import (
    AnonymousResponse,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Response,
    SurveySettings,
    VersionStatus,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

SHIPPED_LANGUAGES = ("en", "es")


def survey_settings(organization_id: int) -> SurveySettings:
    found, _ = SurveySettings.objects.get_or_create(organization_id=organization_id)
    return found


def ensure_built_in_instruments(organization: Organization) -> int:
    """Add the shipped instruments an organisation lacks (published version 1); never
    overwrites its own edits. Returns how many were added."""
    added = 0
    for shipped in builtin.BUILT_IN:
        if Instrument.objects.filter(organization=organization, key=shipped.key).exists():
            continue
        with transaction.atomic():
            instrument = Instrument.objects.create(
                organization=organization,
                key=shipped.key,
                name=shipped.name,
                name_es=shipped.name_es,
                kind=shipped.kind,
                moment=shipped.moment,
                anonymous=shipped.anonymous,
                languages=list(shipped.languages),
                fallback_language="en",
                built_in=True,
                description=shipped.description,
            )
            check_definition(shipped.definition)
            InstrumentVersion.objects.create(
                organization=organization,
                instrument=instrument,
                number=1,
                status=VersionStatus.PUBLISHED,
                definition=copy.deepcopy(shipped.definition),
                created_at=clock.now(),
                published_at=clock.now(),
            )
            record_audit(actor=None, action="instrument.created", target=instrument)
        added += 1
    survey_settings(organization.id)
    return added


def has_responses(version: InstrumentVersion) -> bool:
    return (
        Response.objects.filter(version=version).exists()
        or AnonymousResponse.objects.filter(version=version).exists()
    )


def current_version(instrument: Instrument) -> InstrumentVersion | None:
    return (
        InstrumentVersion.objects.filter(instrument=instrument, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )


def editable_version(instrument: Instrument) -> InstrumentVersion | None:
    """The draft being edited, if any."""
    return (
        InstrumentVersion.objects.filter(instrument=instrument, status=VersionStatus.DRAFT)
        .order_by("-number")
        .first()
    )


# --- instruments ------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("Give the survey a name.", field="name")
    if len(cleaned) > 200:
        raise InvalidInput("Keep the name under 201 characters.", field="name")
    return cleaned


def _clean_languages(languages: list[str], fallback: str) -> list[str]:
    picked = [language for language in SHIPPED_LANGUAGES if language in languages]
    if not picked:
        raise InvalidInput("Offer the survey in at least one language.", field="languages")
    if fallback not in picked:
        raise InvalidInput(
            "The fallback language must be one the survey is written in.", field="fallback_language"
        )
    return picked


@transaction.atomic
def check_create_instrument(
    organization: Organization,
    *,
    name: str,
    kind: str,
    anonymous: bool | None,
    languages: list[str],
    fallback_language: str = "en",
    acting_user: User,
) -> Instrument:
    """A new instrument with an empty draft (a first section to fill). Audit: instrument.created."""
    name = _clean_name(name)
    if kind not in InstrumentKind.values:
        raise InvalidInput("Choose what the survey is for.", field="kind")
    picked = _clean_languages(languages, fallback_language)
    key = _free_key(organization, name)
    instrument = Instrument.objects.create(
        organization=organization,
        key=key,
        name=name,
        kind=kind,
        anonymous=kind == InstrumentKind.STAFF_PULSE if anonymous is None else anonymous,
        languages=picked,
        fallback_language=fallback_language,
    )
    InstrumentVersion.objects.create(
        organization=organization,
        instrument=instrument,
        number=1,
        status=VersionStatus.DRAFT,
        definition={"sections": []},
        created_at=clock.now(),
        created_by=acting_user,
    )
    record_audit(actor=acting_user, action="instrument.created", target=instrument)
    return instrument


def _free_key(organization: Organization, name: str) -> str:
    from django.utils.text import slugify

    base = slugify(name)[:50] or "survey"
    key, n = base, 1
    while Instrument.objects.filter(organization=organization, key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def _lock(instrument: Instrument) -> Instrument:
    return Instrument.objects.select_for_update().get(pk=instrument.pk)


def _draft_for_edit(instrument: Instrument, acting_user: User) -> InstrumentVersion:
    """The draft to edit, or a new draft copied from the published version: a published
    version never changes, so invitations already sent and responses already given keep the
    questions they were asked. The copy goes live when it is published."""
    draft = editable_version(instrument)
    if draft is not None:
        return draft
    published = current_version(instrument)
    latest = InstrumentVersion.objects.filter(instrument=instrument).order_by("-number").first()
    if published is None or latest is None:
        raise RuleViolation("This survey has no version to edit.")
    return InstrumentVersion.objects.create(
        organization=instrument.organization,
        instrument=instrument,
        number=latest.number + 1,
        status=VersionStatus.DRAFT,
        definition=copy.deepcopy(published.definition),
        created_at=clock.now(),
        created_by=acting_user,
    )


def _save(version: InstrumentVersion, definition: dict[str, Any], acting_user: User) -> None:
    version.definition = definition
    version.save(update_fields=["definition"])
    record_audit(
        actor=acting_user,
        action="instrument.edited",
        target=version.instrument,
        changed_fields=["definition"],
    )


def _texts(en: str, es: str, *, field_name: str, required: bool = True) -> dict[str, str]:
    texts = {"en": " ".join(en.split()), "es": " ".join(es.split())}
    if required and not any(texts.values()):
        raise InvalidInput("Write the text in at least one language.", field=field_name)
    for language, text in texts.items():
        if len(text) > 500:
            raise InvalidInput(
                f"Keep the text under 501 characters ({language}).", field=field_name
            )
    return {language: text for language, text in texts.items() if text}


@transaction.atomic
def check_add_section(
    instrument: Instrument, *, key: str, title_en: str, title_es: str, acting_user: User
) -> InstrumentVersion:
    """Audit: instrument.edited. Returns the version edited (a new draft when answered)."""
    instrument = _lock(instrument)
    version = _draft_for_edit(instrument, acting_user)
    definition = copy.deepcopy(version.definition)
    key = key.strip().lower()
    if not key.replace("_", "").isalnum() or not key[:1].isalpha() or len(key) > 40:
        raise InvalidInput(
            "A section key is lower-case letters, digits and _, starting with a letter.",
            field="key",
        )
    if any(section["key"] == key for section in definition["sections"]):
        raise InvalidInput(f"There is already a section {key!r}.", field="key")
    definition["sections"].append(
        {"key": key, "title": _texts(title_en, title_es, field_name="title_en"), "items": []}
    )
    _save(version, definition, acting_user)
    return version


@transaction.atomic
def check_save_item(
    instrument: Instrument,
    *,
    section_key: str,
    link_id: str,
    kind: str,
    text_en: str,
    text_es: str,
    scale: str = "",
    options: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    required: bool = False,
    measure: str = "",
    composite: str = "",
    reverse: bool = False,
    enable_when: dict[str, Any] | None = None,
    acting_user: User,
) -> InstrumentVersion:
    """Add a question to a section, or replace the question with the same id (its wording,
    options, condition). Audit: instrument.edited."""
    instrument = _lock(instrument)
    version = _draft_for_edit(instrument, acting_user)
    definition = copy.deepcopy(version.definition)
    if kind not in ITEM_TYPES:
        raise InvalidInput("Choose the kind of question.", field="kind")
    if kind == "scale" and scale not in SCALES:
        raise InvalidInput("Choose the answer scale.", field="scale")
    if measure not in MEASURES:
        raise InvalidInput("Unknown score this question feeds.", field="measure")
    item: dict[str, Any] = {
        "link_id": link_id.strip(),
        "type": kind,
        "text": _texts(text_en, text_es, field_name="text_en"),
        "required": required,
        "composite": composite.strip(),
        "measure": measure,
        "reverse": reverse,
        "options": [
            {"code": code.strip(), "text": _texts(en, es, field_name="options")}
            for code, en, es in options
            if code.strip()
        ],
        "enable_when": enable_when,
    }
    if kind == "scale":
        item["scale"] = scale
    sections = {section["key"]: section for section in definition["sections"]}
    if section_key not in sections:
        raise InvalidInput("Choose a section of this survey.", field="section")
    existing = item_by_link(definition).get(item["link_id"])
    if existing is not None:
        for section in definition["sections"]:
            section["items"] = [
                item if other["link_id"] == item["link_id"] else other for other in section["items"]
            ]
    else:
        sections[section_key]["items"].append(item)
    check_definition(definition)
    _save(version, definition, acting_user)
    return version


@transaction.atomic
def check_remove_item(
    instrument: Instrument, *, link_id: str, acting_user: User
) -> InstrumentVersion:
    """Audit: instrument.edited. A question others depend on cannot go first."""
    instrument = _lock(instrument)
    version = _draft_for_edit(instrument, acting_user)
    definition = copy.deepcopy(version.definition)
    if link_id not in item_by_link(definition):
        raise InvalidInput("No such question in this survey.", field="link_id")
    for section in definition["sections"]:
        for item in section["items"]:
            if (item.get("enable_when") or {}).get("link_id") == link_id:
                raise RuleViolation(
                    f"Question {item['link_id']!r} is shown depending on this one: change it first."
                )
        section["items"] = [item for item in section["items"] if item["link_id"] != link_id]
    _save(version, definition, acting_user)
    return version


@transaction.atomic
def check_publish_version(instrument: Instrument, *, acting_user: User) -> InstrumentVersion:
    """Publish the draft: every question readable, every text in every language the survey is
    offered in. The version it replaces is retired (its responses keep pointing at it).
    Audit: instrument.published."""
    instrument = _lock(instrument)
    draft = editable_version(instrument)
    if draft is None:
        raise RuleViolation("There is no draft to publish: edit the survey first.")
    check_definition(draft.definition)
    missing = missing_translations(draft.definition, instrument.languages)
    if missing:
        shown = "; ".join(missing[:5]) + ("…" if len(missing) > 5 else "")
        raise InvalidInput(f"Translate before publishing: {shown}.", field="languages")
    InstrumentVersion.objects.filter(instrument=instrument, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED
    )
    draft.status = VersionStatus.PUBLISHED
    draft.published_at = clock.now()
    draft.save(update_fields=["status", "published_at"])
    record_audit(actor=acting_user, action="instrument.published", target=instrument)
    return draft
