"""Reads of the people registry: search, the person page (360 view), duplicates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet
from rapidfuzz import fuzz

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.access import one_or_not_found
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.ids import only_uuids
from carebond.core.permissions import PHI_ROLES
from carebond.core.registry import person_relations
from carebond.people.access import OpenParts, access_person, parts_open_to
from carebond.people.models import (
    Address,
    CareTeamMember,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    ContactSystem,
    DistinctPair,
    HistoryItem,
    MergeRecord,
    Person,
    PersonalNote,
    PersonKind,
    Relationship,
)
from carebond.people.search import (
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    MIN_QUERY_LENGTH,
    search_person_ids,
)
from carebond.people.validation import format_phone, language_name

if TYPE_CHECKING:
    from carebond.accounts.models import User


@dataclass(frozen=True)
class SearchResult:
    person: Person
    contact: str  # the first phone (formatted) or email, to tell namesakes apart


def search_people(*, user: User, q: str, limit: int = 20) -> list[SearchResult]:
    """Best matches first, then by name. Audited as people.search (without the query: it may
    hold a name). Identifiable search is for PHI roles only: the analyst gets nothing."""
    text = q.strip()
    if len(text) < MIN_QUERY_LENGTH:
        raise InvalidInput(f"Type at least {MIN_QUERY_LENGTH} characters to search.", field="q")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"Keep the search under {MAX_QUERY_LENGTH + 1} characters.", field="q")
    if user.role not in PHI_ROLES:
        return []
    ids = search_person_ids(user.organization_id, text, limit=max(1, min(limit, MAX_LIMIT)))
    rank = {pk: position for position, pk in enumerate(ids)}
    people = sorted(
        Person.objects.filter(pk__in=ids, organization_id=user.organization_id)
        .live()
        .prefetch_related("contact_points"),
        key=lambda p: (rank[p.pk], p.family_name.casefold(), p.given_name.casefold()),
    )
    record_access(actor=user, target=None, action="people.search", organization=user.organization)
    return [SearchResult(person=p, contact=_first_contact(p)) for p in people]


def _first_contact(person: Person) -> str:
    points = sorted(person.contact_points.all(), key=lambda c: (c.system != "phone", c.rank))
    if not points:
        return ""
    first = points[0]
    return format_phone(first.value) if first.system == ContactSystem.PHONE else first.value


@dataclass(frozen=True)
class Alert:
    text: str
    tone: str  # info, warning


@dataclass
class ConsentState:
    channel: str
    purpose: str
    status: str
    recorded_at: object
    method: str


@dataclass
class PersonOverview:
    """Everything the person page shows besides the timeline, fetched in a fixed few queries."""

    person: Person
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    consents: list[ConsentState] = field(default_factory=list)
    consent_history: list[ConsentRecord] = field(default_factory=list)
    language: str = ""
    # The role-limited parts this user reads of this record (with the side panels only).
    parts: OpenParts | None = None


def get_person_overview(
    *, user: User, public_id: UUID | str, with_panels: bool = False, everything: bool = False
) -> PersonOverview:
    """The 360 view. Audited: person.read (a PHI read, with the patient named).

    By default: the person and the page's header (contacts, consent, alerts). ``with_panels``:
    the person and the side panels instead (identifiers, addresses, family, care team, history,
    notes), which the page fetches in a second request, so each stays within a small budget.
    ``everything``: both at once (the API's person resource). A part the role withholds but
    an opener (break-glass) opens is read too, and each such read audited under its action.
    """
    if user.role not in PHI_ROLES:
        raise NotFound("No such person.")
    parts = parts_open_to(user, public_id) if with_panels or everything else None
    related: list[str | Prefetch[Any]] = [
        "contact_points",
        Prefetch("consents", queryset=ConsentRecord.objects.select_related("recorded_by")),
    ]
    if with_panels or everything:
        panels: list[str | Prefetch[Any]] = [
            "identifiers",
            "addresses",
            Prefetch("relationships", queryset=Relationship.objects.select_related("related")),
            Prefetch("care_team", queryset=CareTeamMember.objects.select_related("staff")),
            # Minimum necessary: a role that may not read a part never loads it.
            Prefetch(
                "history",
                queryset=HistoryItem.objects.all()
                if parts and parts.history
                else HistoryItem.objects.none(),
            ),
            Prefetch(
                "personal_notes",
                queryset=PersonalNote.objects.select_related("author")
                if parts and parts.notes
                else PersonalNote.objects.none(),
            ),
        ]
        # The panels request shows no header: it needs only what the panels show.
        related = [*related, *panels] if everything else panels
    person = (
        Person.objects.filter(organization_id=user.organization_id, public_id=public_id)
        .select_related(
            "organization",
            "referral_profile__liaison",
            "staff_profile__department",
            "staff_profile__location",
            "merged_into",
        )
        .prefetch_related(*related)
        .first()
    )
    if person is None:
        raise NotFound("No such person.")
    record_access(
        actor=user,
        target=person,
        patient=person if person.kind == PersonKind.PATIENT else None,
        action="person.panels_read" if with_panels else "person.read",
    )
    patient = person if person.kind == PersonKind.PATIENT else None
    for read_action in sorted(set(parts.opened.values()) if parts else ()):
        record_access(actor=user, target=person, patient=patient, action=read_action)
    overview = (
        PersonOverview(person=person) if with_panels and not everything else _overview(person)
    )
    overview.parts = parts
    return overview


def _overview(person: Person) -> PersonOverview:
    points = list(person.contact_points.all())
    overview = PersonOverview(
        person=person,
        phones=[format_phone(c.value) for c in points if c.system == ContactSystem.PHONE],
        emails=[c.value for c in points if c.system == ContactSystem.EMAIL],
        language=language_name(person.preferred_language),
    )
    latest: dict[tuple[str, str], ConsentRecord] = {}
    for record in person.consents.all():  # newest first
        latest.setdefault((record.channel, record.purpose), record)
    overview.consent_history = list(person.consents.all())
    overview.consents = [
        ConsentState(
            channel=r.get_channel_display(),
            purpose=r.get_purpose_display(),
            status=r.status,
            recorded_at=r.recorded_at,
            method=r.get_method_display(),
        )
        for r in latest.values()
    ]
    if person.interpreter_needed:
        overview.alerts.append(
            Alert(f"Interpreter needed ({overview.language or 'language not recorded'})", "warning")
        )
    if person.large_print:
        overview.alerts.append(Alert("Large print materials", "info"))
    if person.mobility_assistance:
        overview.alerts.append(Alert("Mobility assistance", "info"))
    opted_out = sorted(
        {r.get_channel_display() for r in latest.values() if r.status == ConsentStatus.REVOKED}
    )
    for channel in opted_out:
        overview.alerts.append(
            Alert(f"Opted out of {channel.lower()} for some purposes", "warning")
        )
    if person.status == "deceased":
        overview.alerts.append(Alert("Deceased", "warning"))
    return overview


@dataclass(frozen=True)
class DuplicateCandidate:
    first: Person
    second: Person
    score: int  # 0..100
    reasons: tuple[str, ...]


# How alike two names must be (0-100, the less alike of given and family name) to be offered
# as one person: Catherine/Katherine pass, twins who share only a family name do not.
DUPLICATE_LIKENESS = 70


def list_duplicate_candidates(*, user: User, limit: int = 50) -> list[DuplicateCandidate]:
    """Pairs that look like one person: same birth date and a similar name, or a shared phone or
    email with a similar name. Scored by name similarity; best first."""
    if user.role not in PHI_ROLES:
        return []
    org_id = user.organization_id
    live = Person.objects.filter(organization_id=org_id).live()
    pairs: dict[tuple[int, int], set[str]] = {}

    def add(a: int, b: int, reason: str) -> None:
        if a != b:
            pairs.setdefault((min(a, b), max(a, b)), set()).add(reason)

    # Same birth date and the same family or given name (a typo in the other one is allowed).
    for field_name in ("family_name", "given_name"):
        same = (
            live.exclude(birth_date=None)
            .exclude(**{field_name: ""})
            .values("birth_date", "kind", field_name)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by()[:500]
        )
        for group in same:
            ids = list(
                live.filter(
                    birth_date=group["birth_date"],
                    kind=group["kind"],
                    **{f"{field_name}__iexact": group[field_name]},
                ).values_list("id", flat=True)[:20]
            )
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    add(a, b, "same birth date")
    # The same phone number or email on two records.
    shared = (
        ContactPoint.objects.filter(organization_id=org_id, person__in=live)
        .values("system", "value")
        .annotate(n=Count("person", distinct=True))
        .filter(n__gt=1)
        .order_by()[:500]
    )
    for contact in shared:
        ids = list(
            ContactPoint.objects.filter(
                organization_id=org_id,
                system=contact["system"],
                value=contact["value"],
                person__in=live,
            )
            .values_list("person_id", flat=True)
            .distinct()[:20]
        )
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                add(a, b, f"same {contact['system']}")
    for first_id, second_id in DistinctPair.objects.filter(organization_id=org_id).values_list(
        "first_id", "second_id"
    ):
        pairs.pop((first_id, second_id), None)  # checked and found to be two people
    people = {p.pk: p for p in live.filter(pk__in={pk for pair in pairs for pk in pair})}
    candidates = []
    for (a, b), reasons in pairs.items():
        first, second = people.get(a), people.get(b)
        if first is None or second is None or first.kind != second.kind:
            continue
        score = _name_likeness(first, second)
        if score >= DUPLICATE_LIKENESS:
            candidates.append(DuplicateCandidate(first, second, score, tuple(sorted(reasons))))
    candidates.sort(key=lambda c: (-c.score, -len(c.reasons), c.first.pk))
    # Names and birth dates of many patients: a PHI read like any other.
    record_access(
        actor=user, target=None, action="people.duplicates_read", organization=user.organization
    )
    return candidates[:limit]


def _name_likeness(first: Person, second: Person) -> int:
    """0-100: how alike the names are, given name with given name and family with family (or
    the two swapped, for a name entered the wrong way round), the less alike part deciding. So
    Catherine/Katherine Evans pair up, and twins Emma and Liam Johnson, who share only the family
    name, do not. Organisations compare their names."""
    if not (first.given_name or first.family_name or second.given_name or second.family_name):
        return int(fuzz.ratio(_full_name(first), _full_name(second)))
    given = (first.given_name.casefold(), second.given_name.casefold())
    family = (first.family_name.casefold(), second.family_name.casefold())
    as_written = min(fuzz.ratio(*given), fuzz.ratio(*family))
    swapped = min(fuzz.ratio(given[0], family[1]), fuzz.ratio(family[0], given[1]))
    return int(max(as_written, swapped))


def _full_name(person: Person) -> str:
    return f"{person.given_name} {person.family_name} {person.organization_name}".casefold()


def get_merge_preview(
    *, user: User, first_id: UUID | str, second_id: UUID | str
) -> tuple[PersonOverview, PersonOverview]:
    """Both records side by side. Audited as two PHI reads (person.read)."""
    return (
        get_person_overview(user=user, public_id=first_id),
        get_person_overview(user=user, public_id=second_id),
    )


def list_recent_merges(*, user: User) -> QuerySet[MergeRecord]:
    since = clock.now() - timedelta(days=30)
    return (
        MergeRecord.objects.filter(organization_id=user.organization_id, merged_at__gte=since)
        .select_related("survivor", "merged", "merged_by")
        .order_by("-merged_at")
    )


def get_staff_person(*, user: User) -> Person | None:
    """The staff record of a signed-in user, when they have one (for 'who was involved')."""
    return (
        Person.objects.filter(organization_id=user.organization_id, staff_profile__user=user)
        .live()
        .first()
    )


def list_liaisons(*, user: User) -> list[User]:
    """Staff logins who can own referral-source relationships (liaisons and managers)."""
    from carebond.accounts.selectors import list_users

    return [
        u
        for u in list_users(user=user).filter(is_active=True)
        if u.role in ("liaison", "manager", "admin")
    ]


def find_staff_member(*, user: User, name: str) -> Person:
    """Exactly one staff member of the organisation by name, or InvalidInput saying why not."""
    text = name.strip()
    if len(text) < MIN_QUERY_LENGTH:
        raise InvalidInput("Type the staff member's name.", field="staff_name")
    ids = search_person_ids(user.organization_id, text, limit=MAX_LIMIT, kind=PersonKind.STAFF)
    staff = list(
        Person.objects.filter(
            pk__in=ids, organization_id=user.organization_id, kind=PersonKind.STAFF
        ).live()[:6]
    )
    if not staff:
        raise InvalidInput(f"No staff member matches {text!r}.", field="staff_name")
    exact = [
        p
        for p in staff
        if p.display_name.casefold() == text.casefold()
        or f"{p.given_name} {p.family_name}".casefold() == text.casefold()
    ]
    if len(staff) > 1 and len(exact) != 1:
        names = ", ".join(sorted(p.display_name for p in staff[:5]))
        raise InvalidInput(
            f"Several staff members match: {names}. Type the full name.", field="staff_name"
        )
    return exact[0] if exact else staff[0]


def get_person_for_edit(*, user: User, public_id: UUID | str) -> Person:
    """The person as the edit form shows them. Audited: person.read."""
    person = access_person(user, public_id)
    record_access(
        actor=user,
        target=person,
        action="person.read",
        patient=person if person.kind == PersonKind.PATIENT else None,
    )
    return person


def list_my_referral_sources(*, user: User, limit: int = 8) -> tuple[int, list[Person]]:
    """The referral sources a liaison looks after (how many, and the first by name)."""
    sources = (
        Person.objects.filter(
            organization_id=user.organization_id,
            kind=PersonKind.REFERRAL_SOURCE,
            referral_profile__liaison=user,
        )
        .live()
        .select_related("referral_profile")
        .order_by("family_name", "given_name", "organization_name")
    )
    return sources.count(), list(sources[:limit])


def person_names(organization_id: int, public_ids: list[str]) -> dict[str, str]:
    """Public id -> display name, for the audit trail (merged records included: their events
    stay theirs)."""
    rows = Person.objects.filter(
        organization_id=organization_id, public_id__in=only_uuids(public_ids)
    )
    named = rows.only(
        "public_id", "given_name", "preferred_name", "family_name", "organization_name"
    )
    return {str(p.public_id): p.display_name for p in named}


def find_patients_for_audit(organization_id: int, text: str) -> list[str]:
    """The public ids of the patients a name, MRN, phone or birth date finds (the audit
    trail's patient filter), including records merged away since. At most MAX_LIMIT patients:
    the trail says so when a search finds that many."""
    ids = search_person_ids(organization_id, text, limit=MAX_LIMIT, kind=PersonKind.PATIENT)
    found = Person.objects.filter(organization_id=organization_id, pk__in=ids)
    merged_in = Person.objects.filter(organization_id=organization_id, merged_into__in=found)
    return [str(pk) for pk in (found | merged_in).values_list("public_id", flat=True)]


def list_possible_duplicates(
    *, user: User, given_name: str, family_name: str, birth_date: date | None, phone: str
) -> list[Person]:
    """Patients already registered who may be the one being registered: the same birth date
    and a similar name, or the same phone number (as the duplicates page pairs them)."""
    candidate = Person(given_name=given_name, family_name=family_name)
    live = Person.objects.filter(organization_id=user.organization_id, kind=PersonKind.PATIENT)
    live = live.live()
    found: dict[int, Person] = {}
    if birth_date is not None:
        for person in live.filter(birth_date=birth_date)[:50]:
            if _name_likeness(candidate, person) >= DUPLICATE_LIKENESS:
                found[person.pk] = person
    if phone:
        digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
        if len(digits) >= 7:
            shared = ContactPoint.objects.filter(
                organization_id=user.organization_id,
                system=ContactSystem.PHONE,
                value__endswith=digits,
            ).values("person_id")
            for person in live.filter(pk__in=shared)[:20]:
                found.setdefault(person.pk, person)
    if found:  # names and birth dates of other patients are shown: a PHI read like a search
        record_access(
            actor=user, target=None, action="people.search", organization=user.organization
        )
    return sorted(found.values(), key=lambda p: (p.family_name, p.given_name))


LIST_PAGE_SIZE = 50
LIST_SORTS = {
    "recent": ("-updated_at", "-id"),
    "name": ("family_name", "given_name", "organization_name", "id"),
    "born": ("birth_date", "family_name", "id"),
}


@dataclass(frozen=True)
class PeoplePage:
    results: list[SearchResult]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def list_people(
    *, user: User, kind: str, sort: str = "recent", page: int = 1, mine: bool = False
) -> PeoplePage:
    """People of one kind, a page at a time, in a chosen order (most recently changed first by
    default). ``mine``: the referral sources the user looks after. Audited as people.listed
    (a list of names is a PHI read); the analyst gets nothing."""
    if user.role not in PHI_ROLES or kind not in PersonKind.values:
        return PeoplePage([], page, has_next=False)
    people = Person.objects.filter(organization_id=user.organization_id, kind=kind).live()
    if mine:
        people = people.filter(referral_profile__liaison=user)
    people = people.order_by(*LIST_SORTS.get(sort, LIST_SORTS["recent"]))
    start = (page - 1) * LIST_PAGE_SIZE
    rows = list(people.prefetch_related("contact_points")[start : start + LIST_PAGE_SIZE + 1])
    record_access(actor=user, target=None, action="people.listed", organization=user.organization)
    return PeoplePage(
        results=[SearchResult(person=p, contact=_first_contact(p)) for p in rows[:LIST_PAGE_SIZE]],
        page=page,
        has_next=len(rows) > LIST_PAGE_SIZE,
    )


def list_staff_choices(*, user: User) -> list[tuple[str, str]]:
    """The organisation's staff members, by name, as (public id, "Name, job title") choices."""
    staff = (
        Person.objects.filter(organization_id=user.organization_id, kind=PersonKind.STAFF)
        .live()
        .select_related("staff_profile")
        .order_by("family_name", "given_name")
    )
    return [
        (
            str(p.public_id),
            f"{p.display_name}, {p.staff_profile.job_title}"
            if getattr(p, "staff_profile", None) and p.staff_profile.job_title
            else p.display_name,
        )
        for p in staff
    ]


def get_staff_member(*, user: User, public_id: UUID | str) -> Person:
    return one_or_not_found(
        Person.objects.filter(
            organization_id=user.organization_id, kind=PersonKind.STAFF, public_id=public_id
        ).live(),
        "No such staff member.",
    )


@dataclass(frozen=True)
class RowCount:
    label: str
    count: int


def count_rows_of(person: Person) -> list[RowCount]:
    """How many rows of each kind hang off a record (every relation a merge would move), so the
    compare page shows what each record holds before one is chosen."""
    counts: dict[str, int] = {}
    for relation in person_relations():
        if relation.one_per_person:
            continue
        label = str(relation.model._meta.verbose_name_plural)
        n = relation.model._default_manager.filter(**{relation.field: person}).count()
        counts[label] = counts.get(label, 0) + n
    return [RowCount(label, n) for label, n in sorted(counts.items()) if n]


@dataclass(frozen=True)
class HistoryGroup:
    """One problem, allergy, medication or vaccine however many times it was recorded (an EHR
    sends a yearly flu shot as one Immunization a year): shown once, with how often and when
    last."""

    category: str
    display: str
    code: str
    count: int
    last: date | None
    is_active: bool


def group_history(items: Iterable[HistoryItem]) -> list[HistoryGroup]:
    groups: dict[tuple[str, str], list[HistoryItem]] = {}
    for item in items:
        key = (item.category, f"{item.code_system}|{item.code}" if item.code else item.display)
        groups.setdefault(key, []).append(item)
    rows = []
    for same in groups.values():
        newest = max(same, key=lambda i: (i.onset or date.min, i.created_at))
        rows.append(
            HistoryGroup(
                category=newest.get_category_display(),
                display=newest.display,
                code=newest.code,
                count=len(same),
                last=newest.onset,
                is_active=any(i.is_active for i in same),
            )
        )
    return sorted(rows, key=lambda g: (g.category, not g.is_active, g.display.casefold()))


# Reads for other apps that contact people (messaging): the ledger and the contact points, with
# no access check of their own: the caller already holds the person through its own access rules.


def consent_in_force(person_id: int, *, channel: str, purpose: str) -> ConsentRecord | None:
    """The newest decision about this channel and purpose, or None when there is none."""
    return (
        ConsentRecord.objects.filter(person_id=person_id, channel=channel, purpose=purpose)
        .order_by("-recorded_at", "-id")
        .first()
    )


def consents_in_force(person_ids: Iterable[int]) -> dict[tuple[int, str, str], ConsentRecord]:
    """The newest decision per (person, channel, purpose) for many people in one query: the
    worker checks a whole batch of sends at once."""
    newest: dict[tuple[int, str, str], ConsentRecord] = {}
    records = ConsentRecord.objects.filter(person_id__in=set(person_ids))
    for record in records.order_by("recorded_at", "id"):
        newest[(record.person_id, record.channel, record.purpose)] = record
    return newest


def consent_before(record: ConsentRecord) -> ConsentRecord | None:
    """The decision this one replaced (same person, channel and purpose), or None."""
    return (
        ConsentRecord.objects.filter(
            person_id=record.person_id, channel=record.channel, purpose=record.purpose
        )
        .exclude(pk=record.pk)
        .filter(
            Q(recorded_at__lt=record.recorded_at)
            | Q(recorded_at=record.recorded_at, id__lt=record.pk)
        )
        .order_by("-recorded_at", "-id")
        .first()
    )


def contact_address(person: Person, *, system: str) -> str:
    """The first-ranked phone (E.164) or email of a person, or "" when there is none."""
    point = ContactPoint.objects.filter(person=person, system=system).order_by("rank", "id").first()
    return point.value if point else ""


def people_reached_at(organization_id: int, *, system: str, value: str) -> list[Person]:
    """The live people of an organisation who have this phone number or email (a household
    may share one). Merged records are left out: their contacts moved to the survivor."""
    return list(
        Person.objects.live()
        .filter(
            organization_id=organization_id,
            contact_points__system=system,
            contact_points__value=value,
        )
        .distinct()
        .order_by("id")
    )


def first_address(person: Person) -> Address | None:
    return Address.objects.filter(person=person).order_by("rank", "id").first()


def first_addresses(person_ids: Iterable[int]) -> dict[int, Address]:
    """Each person's first-ranked address, for many people in one query."""
    first: dict[int, Address] = {}
    for address in Address.objects.filter(person_id__in=set(person_ids)).order_by("rank", "id"):
        first.setdefault(address.person_id, address)
    return first


def people_by_id(organization_id: int, ids: Iterable[int]) -> dict[int, Person]:
    """The organisation's people with these ids (a report's rows), by id; one query. The caller
    audits the read: it is the one that knows why the people are shown."""
    return {
        person.pk: person
        for person in Person.objects.filter(organization_id=organization_id, pk__in=list(ids))
    }
