"""People search: one box for names (with one typo), preferred names, birth dates, MRNs and other
identifiers, phone numbers and emails, across patients, referral sources and staff.

How it stays fast at a million people on both databases:
- every searchable term of a person is a row of ``SearchTerm``: name words, whole names ("maria
  lopez", "lopez maria"), the birth date, identifiers, phone digits and emails. A query word is a
  prefix range scan on a covering index (organization_id, term, person_id), LIMITed;
- a name word that starts no term is taken for a typo: every string one edit away is generated
  and looked up in ``NameTerm``, the organisation's vocabulary of name words, through its unique
  index; the corrected words are then exact lookups in ``SearchTerm``;
- with several words, the longest picks the candidates and the others filter them in SQL.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import QuerySet

from carebond.core.bulk import insert_rows
from carebond.people.models import NameTerm, Person, SearchTerm

# Whole names are stored behind a mark that sorts them into a key range of their own, so that a
# scan over them never reads the (far more numerous) single-word terms.
FULL_NAME_MARK = "~"
MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 100
# Longer words are not corrected: their one-edit candidates would run into the thousands.
FUZZY_MAX_LENGTH = 30
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Candidates kept per query word before intersecting; bounds the work of a very common prefix.
WORD_CANDIDATES = 5000
FUZZY_MIN_LENGTH = 4

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
    *,
    given: str,
    family: str,
    preferred: str = "",
    organization_name: str = "",
    name_text: str = "",
) -> list[str]:
    """The whole names a person is searched by, as typed into the box: "maria lopez",
    "lopez maria", "mari lopez" (preferred), an organisation's name, or a name sent whole."""
    phrases = [f"{first} {family}" for first in (given, preferred) if first and family]
    if given and family:
        phrases.append(f"{family} {given}")
    phrases += [whole for whole in (organization_name, name_text) if whole]
    return phrases


def other_name_parts(person: Person) -> list[str]:
    """The words of the other names a person was known by (old, temporary...: ``other_names``,
    as an EHR sent them)."""
    parts: list[str] = []
    for name in person.other_names if isinstance(person.other_names, list) else []:
        if not isinstance(name, dict):
            continue
        for key in ("text", "family", "given"):
            value = name.get(key)
            values = value if isinstance(value, list) else [value]
            parts += [v for v in values if isinstance(v, str) and v]
    return parts


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
            terms.add((FULL_NAME_MARK + " ".join(words)[:119], "full"))
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


def terms_of_person(
    person: Person, absorbed: Iterable[Person] | None = None
) -> set[tuple[str, str]]:
    """The person's own terms, plus the names of records merged into them: staff who search
    for the name on the duplicate still find the surviving record. A maiden name finds them too.
    """
    if absorbed is None:
        absorbed = person.merged_records.filter(status="merged")
    contacts = list(person.contact_points.all())
    return _terms_of(
        [person, *absorbed],
        identifiers=[i.value for i in person.identifiers.all()],
        phones=[c.value for c in contacts if c.system == "phone"],
        emails=[c.value for c in contacts if c.system == "email"],
    )


def _terms_of(
    people: list[Person], *, identifiers: list[str], phones: list[str], emails: list[str]
) -> set[tuple[str, str]]:
    """people[0] is the person; the rest are records merged into them."""
    return terms_for(
        full_names=[
            phrase
            for p in people
            for phrase in full_names_of(
                given=p.given_name,
                family=p.family_name,
                preferred=p.preferred_name,
                organization_name=p.organization_name,
                name_text=p.name_text,
            )
        ],
        names=[
            name
            for p in people
            for name in (
                p.given_name,
                p.middle_name,
                p.family_name,
                p.preferred_name,
                p.organization_name,
                p.maiden_name,
                p.name_text,
                *other_name_parts(p),
            )
        ],
        birth_date=people[0].birth_date,
        identifiers=identifiers,
        phones=phones,
        emails=emails,
    )


def index_new_people(people: Iterable[tuple[Person, list[str], list[str], list[str]]]) -> None:
    """Index people just created, from what is in memory: (person, identifier values, phones,
    emails). An import creates thousands; reading them back to index them would double its time.
    """
    rows: list[tuple[int, int, str, str]] = []
    words: dict[int, set[str]] = {}
    for person, identifiers, phones, emails in people:
        terms = _terms_of([person], identifiers=identifiers, phones=phones, emails=emails)
        rows += [(person.organization_id, person.pk, t, f) for t, f in terms]
        words.setdefault(person.organization_id, set()).update(t for t, f in terms if f == "name")
    insert_rows(SearchTerm, ["organization_id", "person_id", "term", "field"], rows)
    for organization_id, names in words.items():
        add_name_terms(organization_id, names)


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


def reindex_people(person_ids: Iterable[int]) -> None:
    """index_person for many people at once, in a handful of queries (imports)."""
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        people = list(
            Person.objects.filter(id__in=chunk).prefetch_related("identifiers", "contact_points")
        )
        absorbed: dict[int, list[Person]] = {}
        for merged in Person.objects.filter(merged_into_id__in=chunk, status="merged"):
            absorbed.setdefault(merged.merged_into_id or 0, []).append(merged)
        SearchTerm.objects.filter(person_id__in=chunk).delete()
        rows: list[SearchTerm] = []
        words: dict[int, set[str]] = {}
        for person in people:
            if person.status == "merged":
                continue
            terms = terms_of_person(person, absorbed.get(person.id, []))
            rows += [
                SearchTerm(
                    organization_id=person.organization_id, person=person, term=term, field=field
                )
                for term, field in terms
            ]
            words.setdefault(person.organization_id, set()).update(
                t for t, f in terms if f == "name"
            )
        SearchTerm.objects.bulk_create(rows, batch_size=2000)
        for organization_id, names in words.items():
            add_name_terms(organization_id, names)


def add_name_terms(organization_id: int, words: set[str]) -> None:
    """Grow the organisation's vocabulary of name words (what typos are corrected to)."""
    if words:
        NameTerm.objects.bulk_create(
            [NameTerm(organization_id=organization_id, term=w) for w in sorted(words)],
            ignore_conflicts=True,
        )


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryWord:
    text: str
    kind: str  # name, birth, digits, email, id

    @property
    def fuzzy(self) -> bool:
        return self.kind == "name" and FUZZY_MIN_LENGTH <= len(self.text) <= FUZZY_MAX_LENGTH


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


def _prefix_filter(terms: QuerySet[SearchTerm], prefix: str) -> QuerySet[SearchTerm]:
    if connection.vendor == "postgresql":
        # LIKE 'prefix%' uses the varchar_pattern_ops index whatever the collation.
        return terms.filter(term__startswith=prefix)
    # SQLite's LIKE ignores case and skips the index; a range on the BINARY order does not.
    low, high = _prefix_range(prefix)
    return terms.filter(term__gte=low, term__lt=high)


def _terms(organization_id: int, kind: str | None) -> QuerySet[SearchTerm]:
    terms = SearchTerm.objects.filter(organization_id=organization_id)
    return terms.filter(person__kind=kind) if kind else terms


def _ids_for_prefix(
    organization_id: int, prefix: str, *, limit: int, kind: str | None = None
) -> list[int]:
    terms = _prefix_filter(_terms(organization_id, kind), prefix)
    # A person can match through two terms (given and family name): fetch extra, keep unique.
    return list(dict.fromkeys(terms.values_list("person_id", flat=True)[: limit * 2]))[:limit]


def one_edit_away(word: str) -> set[str]:
    """Every string one edit from ``word``: a letter dropped, two neighbours swapped, a letter
    changed or added (letters a-z and those of the word itself)."""
    letters = set(string.ascii_lowercase) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {left + right[1:] for left, right in splits if right}
    edits |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    edits |= {left + c + right[1:] for left, right in splits if right for c in letters}
    edits |= {left + c + right for left, right in splits for c in letters}
    edits.discard(word)
    return edits


def similar_name_terms(organization_id: int, word: str) -> list[str]:
    """Vocabulary words one typo away from ``word`` (a swap of two letters counts as one).

    The candidates are generated, then looked up through the vocabulary's unique index: exact
    and fast (a few hundred index probes). Trigram similarity was tried first and missed typos
    at the start of short words ("yuong" shares no trigram with "young").
    """
    candidates = one_edit_away(word)
    return list(
        NameTerm.objects.filter(organization_id=organization_id, term__in=candidates).values_list(
            "term", flat=True
        )
    )


def _matching_ids(
    organization_id: int, word: QueryWord, *, within: list[int] | None, kind: str | None = None
) -> tuple[set[int], set[int]]:
    """(exact, corrected) ids for one query word, optionally only among ``within``.

    A word is corrected only when nothing starts with it: a typo makes a word that matches
    nobody, and near-miss names would only crowd out what the user typed."""
    terms = _terms(organization_id, kind)
    if within is not None:
        terms = terms.filter(person_id__in=within)
    exact = set(
        _prefix_filter(terms, word.text).values_list("person_id", flat=True)[:WORD_CANDIDATES]
    )
    if exact or not word.fuzzy:
        return exact, set()
    corrections = similar_name_terms(organization_id, word.text)
    if not corrections:
        return exact, set()
    corrected = set(
        terms.filter(term__in=corrections).values_list("person_id", flat=True)[:WORD_CANDIDATES]
    )
    return exact, corrected


def search_person_ids(
    organization_id: int, q: str, *, limit: int = DEFAULT_LIMIT, kind: str | None = None
) -> list[int]:
    """Ids of matching people, best first: every word must match (prefix, or one typo).

    Fast paths first, because they answer most searches with one short index scan: several name
    words that start the words of a whole name ("mar lop" or "lop mar" for "maria lopez"), or
    one word with enough exact prefix matches to fill the page. Otherwise (a typo, or a name
    with a birth date or phone) the longest word picks the candidates and every other word
    filters them, in SQL.
    """
    words = parse_query(q)
    if not words:
        return []
    exact_first: list[int] = []
    if len(words) > 1 and all(w.kind == "name" for w in words):
        # "mar lop", "lopez maria": whole names are stored in both orders, so the longest word
        # (the most selective) can start the scan; the others must start a later word.
        anchor = max(words, key=lambda w: len(w.text))
        names = _prefix_filter(_terms(organization_id, kind), FULL_NAME_MARK + anchor.text)
        for word in words:
            if word is not anchor:
                names = names.filter(term__contains=" " + word.text)
        exact_first = list(dict.fromkeys(names.values_list("person_id", flat=True)[: limit * 2]))
        if exact_first:
            return exact_first[:limit]
    elif len(words) == 1:
        exact_first = _ids_for_prefix(organization_id, words[0].text, limit=limit, kind=kind)
    if len(exact_first) >= limit:
        return exact_first[:limit]
    ordered = sorted(words, key=lambda w: -len(w.text))
    exact, corrected = _matching_ids(organization_id, ordered[0], within=None, kind=kind)
    scores = dict.fromkeys(exact, 2) | dict.fromkeys(corrected, 1)
    for word in ordered[1:]:
        if not scores:
            break
        exact, corrected = _matching_ids(organization_id, word, within=list(scores), kind=kind)
        scores = {
            pid: score + (2 if pid in exact else 1)
            for pid, score in scores.items()
            if pid in exact or pid in corrected
        }
    # Exact before one-typo matches; ties are ordered by name by the caller.
    first = dict.fromkeys(exact_first)
    rest = sorted(set(scores) - set(first), key=lambda pid: (-scores[pid], pid))
    return [*first, *rest][:limit]
