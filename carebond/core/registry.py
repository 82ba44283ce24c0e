"""What each app adds to the places every app shares, registered from its ``AppConfig.ready()``.

Core owns these lists and never names the apps that fill them (the pattern of Wagtail's hooks
and Django admin's autodiscover): the merge moves every registered person relation, the page
shell draws every registered navigation entry and home panel, the person page every registered
panel, the worker runs every registered scan, the timeline accepts every registered touchpoint
kind, and the FHIR import, facade and export serve every registered resource type (with what
the app behind a touchpoint adds to it). Adding an app
is one folder, its line in ``INSTALLED_APPS`` and its URL/API mount (docs/adding-an-app.md).

Each record is a small frozen dataclass. Registering the same key twice is a mistake in an
``apps.py`` and fails at start-up, so two apps cannot silently claim one name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest
from django.urls import reverse

from carebond.core.kpis import Kpi, KpiDimension
from carebond.core.permissions import AccessPolicy

# --- people: what a merge moves ------------------------------------------------------------


@dataclass(frozen=True)
class PersonRelation:
    """A foreign key to a person whose rows a merge moves to the survivor (and an undo moves
    back, exactly those rows).

    ``other_person``: for a link between two people (family, care team), the field naming the
    other one; a link between the two merged records themselves stays behind, since it would
    point a person at themselves. ``unique_with``: fields that together with this one must be
    unique; a row duplicating one the survivor already has stays behind. ``one_per_person``: a
    profile; moved only when the survivor has none."""

    model: type[models.Model]
    field: str
    other_person: str = ""
    unique_with: tuple[str, ...] = ()
    one_per_person: bool = False

    @property
    def key(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


@dataclass(frozen=True)
class PersonLinkExemption:
    """A foreign key to a person that a merge deliberately leaves where it is, and why."""

    model: type[models.Model]
    field: str
    reason: str

    @property
    def key(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


# --- the page shell ------------------------------------------------------------------------


@dataclass(frozen=True)
class NavEntry:
    """A link in the navigation, shown to the roles its policy allows (the app's own policy)."""

    label: str
    url_name: str
    policy: AccessPolicy
    order: int

    @property
    def key(self) -> str:
        return self.url_name

    @property
    def url(self) -> str:
        return reverse(self.url_name)


# The user a panel is drawn for; core knows only that it is an authenticated user.
PanelContext = Callable[..., Mapping[str, Any] | None]


@dataclass(frozen=True)
class HomePanel:
    """A panel on the home page of each role its policy allows.

    ``context(user)`` returns the template's context, or None when there is nothing to show:
    a home panel shows real work or is not shown at all."""

    key: str
    title: str
    template: str
    policy: AccessPolicy
    context: PanelContext
    order: int


@dataclass(frozen=True)
class PersonPage:
    """What a person-page panel is drawn for: the request (its filters), the person (a
    ``people.Person``; core stays below the people app), the user, and a form of this panel's
    that failed, bound with its errors (by form name), when the page is shown again."""

    request: HttpRequest
    person: Any
    user: Any
    bound_forms: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonPanel:
    """A panel another app adds to the person page.

    ``column="main"`` panels (the timeline) are drawn with the page; ``"side"`` panels come
    with the people app's own side panels, in the page's second, separately audited request.
    ``context(page)`` returns the template's context, or None to leave the panel out."""

    key: str
    title: str
    template: str
    policy: AccessPolicy
    context: Callable[[PersonPage], Mapping[str, Any] | None]
    order: int
    column: Literal["main", "side"] = "side"


@dataclass(frozen=True)
class RecordPartOpener:
    """A way a user may read parts of one person's record that their role withholds (a
    break-glass grant). ``opens(user, person_public_id, parts)`` answers which of the withheld
    ``parts`` it opens for that user and person now; every read under it is audited as
    ``read_action``. The people app's access functions stay the one place that decides: they
    ask the registered openers."""

    name: str
    opens: Callable[[Any, str, frozenset[str]], frozenset[str]]
    read_action: str

    @property
    def key(self) -> str:
        return self.name


# --- background work and the timeline ------------------------------------------------------


@dataclass(frozen=True)
class ScanEntry:
    """A periodic scan: a plain function returning how many items it handled."""

    name: str
    function: Callable[[], int]
    every: timedelta

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True)
class HistoryTable:
    """A table that keeps history: partitioned by month of ``column`` on PostgreSQL
    (carebond.core.partitions), its rows removed after ``settings.RETENTION_YEARS[retention]``.
    ``move_parked``: rows parked in the default partition may be moved into their month's
    partition when it is made (not audit events: the database refuses to delete them)."""

    model: type[models.Model]
    column: str
    retention: str
    move_parked: bool = True

    @property
    def key(self) -> str:
        return str(self.model._meta.db_table)


@dataclass(frozen=True)
class TouchpointKindEntry:
    """A kind of timeline entry, owned by the app that records it."""

    value: str
    label: str
    app_label: str

    @property
    def key(self) -> str:
        return self.value


@dataclass(frozen=True)
class TouchpointDetails:
    """Touchpoints an app writes from rows of its own (``Touchpoint.source_type``), and what
    those rows add to the touchpoints' FHIR resources: a batch of touchpoints -> {touchpoint pk:
    elements to set on its resource} (a message's words, status and request), one query per
    batch. The FHIR facade and export merge them in without knowing the app."""

    source_type: str
    fhir_elements: Callable[[list[Any]], Mapping[int, Mapping[str, Any]]]
    app_label: str

    @property
    def key(self) -> str:
        return self.source_type


@dataclass(frozen=True)
class FhirResourceType:
    """A FHIR R4 resource type an app maps, and the module holding its mapping (reading from
    FHIR, writing to FHIR, search parameters). The module is named, not imported, so that core
    stays below every app; the FHIR import, facade and export load it."""

    resource_type: str
    module: str
    app_label: str

    @property
    def key(self) -> str:
        return self.resource_type


@dataclass(frozen=True)
class AuditNames:
    """How the audit trail names the objects of one target type ("people.person"): the app
    that owns them turns public ids into names people can read, and (optionally) a name typed
    into the trail's filter into public ids. Both stay within one organisation."""

    target_type: str
    names: Callable[[int, list[str]], dict[str, str]]
    find: Callable[[int, str], list[str]] | None = None

    @property
    def key(self) -> str:
        return self.target_type


# --- messages that come in ----------------------------------------------------------------


@dataclass(frozen=True)
class InboundReplyHandler:
    """What an app does with an inbound text that is no compliance keyword (STOP, START,
    HELP), before it waits for staff in the inbox: a reply to an appointment reminder ("C",
    "1"). ``handle(message)`` gets the stored message (a ``messaging.Message``; core stays
    below messaging) and returns True when it answered it; messaging then sends no answer of
    its own (after hours, "which of you?")."""

    name: str
    handle: Callable[[Any], bool]
    app_label: str

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True)
class InboundTopic:
    """A topic an app recognises in the messages that come in (billing questions), and who
    answers it. ``matches(text)`` says whether a message's words (an email's subject and
    body) are about it; ``handlers(organization_id)`` names the users (ids) the app has
    answering it, in order of preference. Messaging tags the conversation with the topic,
    keeps the question (when it came, when staff answered it) for the topic's figures, and
    hands a conversation nobody has to the first handler with room for it."""

    key: str
    label: str
    matches: Callable[[str], bool]
    handlers: Callable[[int], list[int]]
    app_label: str


# --- the registry itself -------------------------------------------------------------------


_Entry = TypeVar("_Entry")


@dataclass
class _Registry:
    person_relations: dict[str, PersonRelation] = field(default_factory=dict)
    person_link_exemptions: dict[str, PersonLinkExemption] = field(default_factory=dict)
    navigation: dict[str, NavEntry] = field(default_factory=dict)
    home_panels: dict[str, HomePanel] = field(default_factory=dict)
    person_panels: dict[str, PersonPanel] = field(default_factory=dict)
    record_part_openers: dict[str, RecordPartOpener] = field(default_factory=dict)
    scans: dict[str, ScanEntry] = field(default_factory=dict)
    history_tables: dict[str, HistoryTable] = field(default_factory=dict)
    touchpoint_kinds: dict[str, TouchpointKindEntry] = field(default_factory=dict)
    fhir_resource_types: dict[str, FhirResourceType] = field(default_factory=dict)
    touchpoint_details: dict[str, TouchpointDetails] = field(default_factory=dict)
    audit_names: dict[str, AuditNames] = field(default_factory=dict)
    inbound_reply_handlers: dict[str, InboundReplyHandler] = field(default_factory=dict)
    inbound_topics: dict[str, InboundTopic] = field(default_factory=dict)
    kpis: dict[str, Kpi] = field(default_factory=dict)
    kpi_dimensions: dict[str, KpiDimension] = field(default_factory=dict)


_registry = _Registry()


def _add(place: dict[str, _Entry], key: str, entry: _Entry, what: str) -> None:
    if key in place and place[key] != entry:
        raise ImproperlyConfigured(f"{what} {key!r} is registered twice.")
    place[key] = entry


def register_person_relation(relation: PersonRelation) -> None:
    _add(_registry.person_relations, relation.key, relation, "Person relation")


def exempt_person_link(exemption: PersonLinkExemption) -> None:
    _add(_registry.person_link_exemptions, exemption.key, exemption, "Person link exemption")


def register_navigation(entry: NavEntry) -> None:
    _add(_registry.navigation, entry.key, entry, "Navigation entry")


def register_home_panel(panel: HomePanel) -> None:
    _add(_registry.home_panels, panel.key, panel, "Home panel")


def register_person_panel(panel: PersonPanel) -> None:
    _add(_registry.person_panels, panel.key, panel, "Person panel")


def register_record_part_opener(opener: RecordPartOpener) -> None:
    _add(_registry.record_part_openers, opener.key, opener, "Record part opener")


def record_part_openers() -> tuple[RecordPartOpener, ...]:
    return tuple(_registry.record_part_openers.values())


def register_scan(scan: ScanEntry) -> None:
    _add(_registry.scans, scan.key, scan, "Scan")


def register_history_table(table: HistoryTable) -> None:
    _add(_registry.history_tables, table.key, table, "History table")


def history_tables() -> tuple[HistoryTable, ...]:
    return tuple(_registry.history_tables.values())


def register_touchpoint_kind(kind: TouchpointKindEntry) -> None:
    _add(_registry.touchpoint_kinds, kind.key, kind, "Touchpoint kind")


def register_fhir_resource_type(resource: FhirResourceType) -> None:
    _add(_registry.fhir_resource_types, resource.key, resource, "FHIR resource type")


def register_touchpoint_details(details: TouchpointDetails) -> None:
    _add(_registry.touchpoint_details, details.key, details, "Touchpoint details")


def register_audit_names(names: AuditNames) -> None:
    _add(_registry.audit_names, names.key, names, "Audit names")


def register_inbound_reply_handler(handler: InboundReplyHandler) -> None:
    _add(_registry.inbound_reply_handlers, handler.key, handler, "Inbound reply handler")


def inbound_reply_handlers() -> tuple[InboundReplyHandler, ...]:
    return tuple(_registry.inbound_reply_handlers.values())


def register_inbound_topic(topic: InboundTopic) -> None:
    _add(_registry.inbound_topics, topic.key, topic, "Inbound topic")


def inbound_topics() -> tuple[InboundTopic, ...]:
    return tuple(_registry.inbound_topics.values())


def inbound_topic_label(key: str) -> str:
    topic = _registry.inbound_topics.get(key)
    return topic.label if topic else key.replace("_", " ").capitalize()


def audit_names(target_type: str) -> AuditNames | None:
    return _registry.audit_names.get(target_type)


def person_relations() -> tuple[PersonRelation, ...]:
    return tuple(_registry.person_relations.values())


def person_link_exemptions() -> tuple[PersonLinkExemption, ...]:
    return tuple(_registry.person_link_exemptions.values())


def navigation_for(role: str | None) -> list[NavEntry]:
    entries = sorted(_registry.navigation.values(), key=lambda e: (e.order, e.label))
    return [entry for entry in entries if entry.policy.allows(role)]


def home_panels_for(role: str | None) -> list[HomePanel]:
    panels = sorted(_registry.home_panels.values(), key=lambda p: (p.order, p.key))
    return [panel for panel in panels if panel.policy.allows(role)]


def person_panels_for(role: str | None, *, column: str) -> list[PersonPanel]:
    panels = sorted(_registry.person_panels.values(), key=lambda p: (p.order, p.key))
    return [panel for panel in panels if panel.column == column and panel.policy.allows(role)]


def scans() -> tuple[ScanEntry, ...]:
    return tuple(_registry.scans.values())


def touchpoint_kinds() -> tuple[TouchpointKindEntry, ...]:
    return tuple(_registry.touchpoint_kinds.values())


def touchpoint_kind_label(value: str) -> str:
    entry = _registry.touchpoint_kinds.get(value)
    return entry.label if entry else value.replace("_", " ").capitalize()


def fhir_resource_types() -> tuple[FhirResourceType, ...]:
    return tuple(_registry.fhir_resource_types.values())


def touchpoint_details(source_type: str) -> TouchpointDetails | None:
    return _registry.touchpoint_details.get(source_type)


def register_kpi(kpi: Kpi) -> None:
    """A KPI the app owns (carebond/core/kpis.py): the analytics app rolls it up daily and
    shows it with its n, interval and definition."""
    _add(_registry.kpis, kpi.key, kpi, "KPI")


def register_kpi_dimension(dimension: KpiDimension) -> None:
    _add(_registry.kpi_dimensions, dimension.key, dimension, "KPI dimension")


def kpis() -> tuple[Kpi, ...]:
    return tuple(sorted(_registry.kpis.values(), key=lambda kpi: (kpi.order, kpi.key)))


def kpi(key: str) -> Kpi | None:
    return _registry.kpis.get(key)


def kpi_dimension(key: str) -> KpiDimension | None:
    return _registry.kpi_dimensions.get(key)


# --- tests: an app's registrations for the length of a with-block ---------------------------

_PLACES: dict[type, str] = {
    PersonRelation: "person_relations",
    PersonLinkExemption: "person_link_exemptions",
    NavEntry: "navigation",
    HomePanel: "home_panels",
    PersonPanel: "person_panels",
    ScanEntry: "scans",
    HistoryTable: "history_tables",
    TouchpointKindEntry: "touchpoint_kinds",
    FhirResourceType: "fhir_resource_types",
    TouchpointDetails: "touchpoint_details",
    AuditNames: "audit_names",
    InboundReplyHandler: "inbound_reply_handlers",
    InboundTopic: "inbound_topics",
    Kpi: "kpis",
    KpiDimension: "kpi_dimensions",
}


@contextmanager
def registered(*entries: Any) -> Iterator[None]:
    """Register entries as an app would, and remove them afterwards (tests of the extension
    points, and of architecture rules with a planted offender)."""
    added: list[tuple[dict[str, Any], str]] = []
    try:
        for entry in entries:
            place: dict[str, Any] = getattr(_registry, _PLACES[type(entry)])
            _add(place, entry.key, entry, type(entry).__name__)
            added.append((place, entry.key))
        yield
    finally:
        for place, key in added:
            place.pop(key, None)
