"""A FHIR Questionnaire imported as a survey: a new instrument, or a new draft version of the
instrument it came from.

Which instrument: the one its ``url`` names (``urn:uuid:<instrument id>``, as CareBond exports
it), else the one an earlier import of the same ``url`` made (a draft remembers the url it was
derived from); otherwise a new instrument. An imported version is always a draft: it is
checked as the builder checks a draft, and published (with every translation) by a person.
An instrument's draft is replaced by the import, as an edit in the builder would change it;
a published version never changes. All or nothing: one transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.models import Organization
from carebond.surveys.definitions import check_definition
from carebond.surveys.fhir import URL_PREFIX, instrument_ids
from carebond.surveys.fhir_reading import ReadQuestionnaire, read_questionnaire
from carebond.surveys.instrument_actions import check_create_instrument, editable_version
from carebond.surveys.models import Instrument, InstrumentVersion, VersionStatus

if TYPE_CHECKING:
    from carebond.accounts.models import User

IMPORTED_NAME = "Imported survey"


@dataclass(frozen=True)
class QuestionnaireImported:
    instrument: Instrument
    version: InstrumentVersion
    created: bool  # a new instrument (else a new or replaced draft of an existing one)
    renamed: dict[str, str]  # linkIds rewritten as CareBond ids: as sent -> as kept


def _instrument_for(organization: Organization, url: str) -> Instrument | None:
    """The instrument the Questionnaire's url names, locked for the new draft."""
    if not url:
        return None
    found = Instrument.objects.select_for_update().filter(organization=organization)
    if url.startswith(URL_PREFIX):
        ours = found.filter(public_id__in=instrument_ids([url])).first()
        if ours is not None:
            return ours
    earlier = (
        InstrumentVersion.objects.filter(organization=organization, definition__derived_from=url)
        .order_by("-created_at", "-number")
        .values_list("instrument_id", flat=True)
        .first()
    )
    return found.filter(pk=earlier).first() if earlier is not None else None


def _is_ours(instrument: Instrument | None, url: str) -> bool:
    return instrument is not None and url == f"{URL_PREFIX}{instrument.public_id}"


def _new_instrument(
    organization: Organization, read: ReadQuestionnaire, acting_user: User
) -> tuple[Instrument, InstrumentVersion]:
    title = read.title
    instrument = check_create_instrument(
        organization,
        name=title.get(read.primary) or next(iter(title.values()), "") or IMPORTED_NAME,
        kind=read.kind,
        anonymous=read.anonymous,
        languages=read.languages,
        fallback_language=read.primary,
        acting_user=acting_user,
    )
    instrument.name_es = title.get("es", "") if read.primary != "es" else ""
    instrument.moment = read.moment
    instrument.description = read.description
    instrument.save(update_fields=["name_es", "moment", "description"])
    draft = editable_version(instrument)
    assert draft is not None  # a new instrument starts with an empty draft
    return instrument, draft


def _draft_of(instrument: Instrument, acting_user: User) -> InstrumentVersion:
    """The instrument's draft (replaced), or a new draft after its latest version."""
    draft = editable_version(instrument)
    if draft is not None:
        return draft
    latest = InstrumentVersion.objects.filter(instrument=instrument).order_by("-number").first()
    return InstrumentVersion.objects.create(
        organization_id=instrument.organization_id,
        instrument=instrument,
        number=(latest.number if latest else 0) + 1,
        status=VersionStatus.DRAFT,
        definition={"sections": []},
        created_at=clock.now(),
        created_by=acting_user,
    )


@transaction.atomic
def check_import_questionnaire(
    organization: Organization, resource: Any, *, acting_user: User
) -> QuestionnaireImported:
    """Read the Questionnaire (QuestionnaireProblem: what, where, why), check it as a draft,
    then write it. Audit: instrument.created (a new instrument), instrument.imported."""
    read = read_questionnaire(resource)
    definition: dict[str, Any] = copy.deepcopy(read.definition)
    check_definition(definition)
    instrument = _instrument_for(organization, read.url)
    if read.url and not _is_ours(instrument, read.url):
        definition["derived_from"] = read.url
    created = instrument is None
    if instrument is None:
        instrument, version = _new_instrument(organization, read, acting_user)
    else:
        version = _draft_of(instrument, acting_user)
    version.definition = definition
    version.save(update_fields=["definition"])
    record_audit(
        actor=acting_user,
        action="instrument.imported",
        target=instrument,
        changed_fields=["definition"],
    )
    return QuestionnaireImported(instrument, version, created, read.renamed)
