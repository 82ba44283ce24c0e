"""People search: one box for names (with one typo), preferred names, birth dates, MRNs and other
identifiers, phone numbers and emails, across patients, referral sources and staff.

How it stays fast at a million people on both databases:
- every searchable term of a person is a row of ``SearchTerm``; a prefix is a B-tree range scan
  on (organization_id, term), LIMITed;
- a name word with a typo is first corrected against ``NameTerm``, the organisation's (small)
  vocabulary of name words, through a trigram index (PostgreSQL pg_trgm GIN, SQLite FTS5
  trigram), keeping words one edit away (optimal string alignment distance, so a swap of two
  letters is one edit); the corrected words are then exact lookups in ``SearchTerm``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection
from rapidfuzz.distance import OSA

from carebond.people.models import NameTerm, Person, SearchTerm

MIN_QUERY_LENGTH = 2
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Candidates kept per query word before intersecting; bounds the work of a very common prefix.
WORD_CANDIDATES = 5000
FUZZY_MIN_LENGTH = 4
FTS_TABLE = "people_nameterm_fts"

_DATE_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DIGITS_ONLY = re.compile(r"^\+?[\d\s().-]{4,}$")


def normalize(text: str) -> str:
    """Lower case without accents: 'José' and 'jose' are the same term."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", normalize(text)) if w and not w.isdigit()]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class PersonTerms:
    person_id: int
    organization_id: int
    terms: tuple[tuple[str, str], ...]  # (term, field)


def full_names_of(
    *, given: str, family: str, preferred: str = "", organization_name: str = ""
) -> list[str]:
    """The whole names a person is searched by, as typed into the box: "maria lopez",
    "lopez maria", "mari lopez" (preferred), or an organisation's name."""
    phrases = [f"{first} {family}" for first in (given, preferred) if first and family]
    if given and family:
        phrases.append(f"{family} {given}")
    if organization_name:
        phrases.append(organization_name)
    return phrases


def terms_for(
    *,
    names: Iterable[str],
    birth_date: date | None,
    identifiers: Iterable[str],
    phones: Iterable[str],
    emails: Iterable[str],
    full_names: Iterable[str] = (),
) -> set[tuple[str, str]]:
    """Every term a person can be found by. Phones count as E.164 digits and national digits.

    Whole names are terms too ("maria lopez"), so that the most common search, a given and a
    family name, is one prefix scan instead of an intersection of two."""
    terms: set[tuple[str, str]] = set()
    for name in names:
        terms.update((word[:100], "name") for word in name_words(name))
    for phrase in full_names:
        words = name_words(phrase)
        if len(words) > 1:
            terms.add((" ".join(words)[:120], "full"))
    if birth_date:
        terms.add((birth_date.isoformat(), "birth"))
    for value in identifiers:
        if value:
            terms.add((normalize(value).replace(" ", "")[:120], "id"))
    for phone in phones:
        digits = _digits(phone)
        if digits:
            terms.add((digits, "phone"))
            if phone.startswith("+1") and len(digits) == 11:
                terms.add((digits[1:], "phone"))  # US/Canada numbers are dialled without the 1
                terms.add((digits[4:], "phone"))  # ...and often given without the area code
    for email in emails:
        if email:
            terms.add((email.casefold()[:120], "email"))
    return terms


def terms_of_person(person: Person) -> set[tuple[str, str]]:
    return terms_for(
        full_names=full_names_of(
            given=person.given_name,
            family=person.family_name,
            preferred=person.preferred_name,
            organization_name=person.organization_name,
        ),
        names=[
            person.given_name,
            person.middle_name,
            person.family_name,
            person.preferred_name,
            person.organization_name,
        ],
        birth_date=person.birth_date,
        identifiers=[i.value for i in person.identifiers.all()],
        phones=[c.value for c in person.contact_points.all() if c.system == "phone"],
        emails=[c.value for c in person.contact_points.all() if c.system == "email"],
    )


def index_person(person: Person) -> None:
    """Rewrite the person's search terms (called by every action that changes what is searched)."""
    SearchTerm.objects.filter(person=person).delete()
    if person.status == "merged":
        return
    terms = terms_of_person(person)
    SearchTerm.objects.bulk_create(
        SearchTerm(organization_id=person.organization_id, person=person, term=term, field=field)
        for term, field in terms
    )
    add_name_terms(person.organization_id, {t for t, f in terms if f == "name"})


def add_name_terms(organization_id: int, words: set[str]) -> None:
    """Grow the vocabulary; new words also go into SQLite's FTS5 table (PostgreSQL's GIN index
    follows the table by itself)."""
    if not words:
        return
    known = set(
        NameTerm.objects.filter(organization_id=organization_id, term__in=words).values_list(
            "term", flat=True
        )
    )
    new = [NameTerm(organization_id=organization_id, term=w) for w in sorted(words - known)]
    if not new:
        return
    NameTerm.objects.bulk_create(new, ignore_conflicts=True)
    if connection.vendor == "sqlite":
        rows = NameTerm.objects.filter(
            organization_id=organization_id, term__in=[n.term for n in new]
        ).values_list("id", "term")
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT OR REPLACE INTO {FTS_TABLE} (rowid, term, organization_id) "  # noqa: S608
                "VALUES (%s, %s, %s)",
                [(row_id, term, organization_id) for row_id, term in rows],
            )


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryWord:
    text: str
    kind: str  # name, birth, digits, email, id

    @property
    def fuzzy(self) -> bool:
        return self.kind == "name" and len(self.text) >= FUZZY_MIN_LENGTH


def parse_query(q: str) -> list[QueryWord]:
    """Split the box's text into words, each recognised as a date, number, email or name part."""
    text = q.strip()
    if _DIGITS_ONLY.match(text) and not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        return [QueryWord(_digits(text), "digits")]
    words: list[QueryWord] = []
    for raw in text.split():
        us = _DATE_US.match(raw)
        if us:
            month, day, year = (int(g) for g in us.groups())
            try:
                words.append(QueryWord(date(year, month, day).isoformat(), "birth"))
            except ValueError:
                continue
        elif re.match(r"^\d{4}-\d{2}(-\d{2})?$", raw):
            words.append(QueryWord(raw, "birth"))
        elif "@" in raw:
            words.append(QueryWord(raw.casefold(), "email"))
        elif any(ch.isdigit() for ch in raw):
            words.append(QueryWord(normalize(raw), "id"))
        else:
            words.extend(QueryWord(w, "name") for w in name_words(raw))
    return words


def _prefix_range(prefix: str) -> tuple[str, str]:
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _ids_for_prefix(
    organization_id: int, prefix: str, *, limit: int = WORD_CANDIDATES
) -> list[int]:
    terms = SearchTerm.objects.filter(organization_id=organization_id)
    if connection.vendor == "postgresql":
        # LIKE 'prefix%' uses the varchar_pattern_ops index whatever the collation.
        terms = terms.filter(term__startswith=prefix)
    else:
        # SQLite's LIKE ignores case and skips the index; a range on the BINARY order does not.
        low, high = _prefix_range(prefix)
        terms = terms.filter(term__gte=low, term__lt=high)
    return list(dict.fromkeys(terms.values_list("person_id", flat=True)[: limit * 2]))[:limit]


def _ids_for_terms(organization_id: int, terms: list[str]) -> list[int]:
    if not terms:
        return []
    return list(
        SearchTerm.objects.filter(organization_id=organization_id, term__in=terms).values_list(
            "person_id", flat=True
        )[:WORD_CANDIDATES]
    )


def similar_name_terms(organization_id: int, word: str, *, max_edits: int = 1) -> list[str]:
    """Vocabulary words at most ``max_edits`` edits from ``word`` (through the trigram index)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL pg_trgm.similarity_threshold = 0.2")
            cursor.execute(
                "SELECT term FROM people_nameterm WHERE organization_id = %s AND term %% %s "
                "ORDER BY similarity(term, %s) DESC LIMIT 200",
                [organization_id, word, word],
            )
            candidates = [row[0] for row in cursor.fetchall()]
    else:
        grams = {word[i : i + 3] for i in range(len(word) - 2)}
        match = " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT term FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608
                "AND organization_id = %s ORDER BY rank LIMIT 200",
                [match, organization_id],
            )
            candidates = [row[0] for row in cursor.fetchall()]
    return [c for c in candidates if OSA.distance(word, c, score_cutoff=max_edits) <= max_edits]


def search_person_ids(organization_id: int, q: str, *, limit: int = DEFAULT_LIMIT) -> list[int]:
    """Ids of matching people, best first: every word must match (prefix, or one typo).

    Fast paths first, because they answer most searches with one short index scan: a whole name
    typed in order ("maria lop" is a prefix of the term "maria lopez"), or one word with enough
    exact prefix matches to fill the page. Only then are words corrected and intersected.
    """
    words = parse_query(q)
    if not words:
        return []
    exact_first: list[int] = []
    if len(words) > 1 and all(w.kind == "name" for w in words):
        exact_first = _ids_for_prefix(organization_id, " ".join(w.text for w in words), limit=limit)
    elif len(words) == 1:
        exact_first = _ids_for_prefix(organization_id, words[0].text, limit=limit)
    if len(exact_first) >= limit:
        return exact_first[:limit]
    scored: dict[int, int] = {}
    matched_all: set[int] | None = None
    for word in words:
        exact_ids = set(_ids_for_prefix(organization_id, word.text))
        fuzzy_ids: set[int] = set()
        if word.fuzzy:
            corrections = [
                t for t in similar_name_terms(organization_id, word.text) if t != word.text
            ]
            fuzzy_ids = set(_ids_for_terms(organization_id, corrections)) - exact_ids
        ids = exact_ids | fuzzy_ids
        for person_id in exact_ids:
            scored[person_id] = scored.get(person_id, 0) + 2
        for person_id in fuzzy_ids:
            scored[person_id] = scored.get(person_id, 0) + 1
        matched_all = ids if matched_all is None else matched_all & ids
        if not matched_all:
            break
    # Exact before one-typo matches; ties are ordered by name by the caller.
    first = dict.fromkeys(exact_first)
    rest = sorted((matched_all or set()) - set(first), key=lambda pid: (-scored[pid], pid))
    return [*first, *rest][:limit]
