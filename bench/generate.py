"""Scale generator: one organisation ("bench") with N synthetic people and M touchpoints.

    carebond migrate
    python bench/generate.py --people 1000000 --touchpoints 10000000 --seed 1

Deterministic by seed (the same people, public ids and touchpoints on SQLite and PostgreSQL).
Rows go in through bulk paths, never ``save()``: PostgreSQL COPY (secondary indexes and foreign
keys dropped during the load and rebuilt after, then VACUUM ANALYZE), SQLite executemany in large
transactions (synchronous=OFF for the load only, indexes rebuilt after, then ANALYZE).
The search index is written as ``carebond.people.search`` writes it: each person's terms come
from ``search.terms_for`` and the name vocabulary goes into ``NameTerm``. One person gets
exactly 1,000 touchpoints for the person-page benchmark; the facts run.py needs are saved in
bench/results/<database>-dataset.json.
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    BENCH_ORG_SLUG,
    database_label,
    database_version,
    machine,
    results_path,
    setup_django,
    write_json,
)

PAGE_PERSON_TOUCHPOINTS = 1000
MRN_SYSTEM = "urn:carebond:mrn"
# The data describe the five years up to this moment (fixed, so a seed always gives the same rows).
DATA_END = datetime(2026, 11, 1, tzinfo=UTC)
DATA_DAYS = 5 * 365

# Faker's name lists (Faker comes with factory_boy, pinned in requirements.lock) are only read as
# data: a mix of locales gives the spread of names a US health system sees, accents included.
NAME_LOCALES: tuple[tuple[str, float], ...] = (
    ("en_US", 0.52),
    ("es_MX", 0.12),
    ("es_ES", 0.04),
    ("en_IN", 0.05),
    ("vi_VN", 0.02),
    ("de_DE", 0.04),
    ("it_IT", 0.04),
    ("nl_NL", 0.03),
    ("fr_FR", 0.03),
    ("ga_IE", 0.04),
    ("pt_BR", 0.03),
    ("pl_PL", 0.02),
    ("tr_TR", 0.02),
)
AREA_CODES = [
    "201",
    "202",
    "205",
    "206",
    "207",
    "208",
    "210",
    "212",
    "213",
    "214",
    "215",
    "216",
    "217",
    "218",
    "224",
    "225",
    "229",
    "231",
    "234",
    "239",
    "240",
    "248",
    "251",
    "252",
    "253",
    "254",
    "256",
    "260",
    "262",
    "267",
    "269",
    "270",
    "281",
    "301",
    "302",
    "303",
    "304",
    "305",
    "307",
    "308",
    "309",
    "310",
    "312",
    "313",
    "314",
    "315",
    "316",
    "317",
    "318",
    "319",
    "320",
    "321",
    "323",
    "330",
    "331",
    "334",
    "336",
    "337",
    "339",
    "347",
    "351",
    "352",
    "360",
    "361",
    "386",
    "401",
    "402",
    "404",
    "405",
    "406",
    "407",
    "408",
    "409",
    "410",
    "412",
    "413",
    "414",
    "415",
    "417",
    "419",
    "423",
    "424",
    "425",
    "430",
    "432",
    "434",
    "435",
    "440",
    "443",
    "469",
    "478",
    "479",
    "480",
    "484",
    "501",
    "502",
    "503",
    "504",
    "505",
    "507",
    "508",
    "509",
    "510",
    "512",
    "513",
    "515",
    "516",
    "517",
    "518",
    "520",
    "530",
    "540",
    "541",
    "551",
    "559",
    "561",
    "562",
    "563",
    "567",
    "570",
    "571",
    "573",
    "574",
    "575",
    "580",
    "585",
    "586",
    "601",
    "602",
    "603",
    "605",
    "606",
    "607",
    "608",
    "609",
    "610",
    "612",
    "614",
    "615",
    "616",
    "617",
    "618",
    "619",
    "620",
    "623",
    "626",
    "630",
    "631",
    "636",
    "641",
    "646",
    "650",
    "651",
    "660",
    "661",
    "662",
    "678",
    "682",
    "701",
    "702",
    "703",
    "704",
    "706",
    "707",
    "708",
    "712",
    "713",
    "714",
    "715",
    "716",
    "717",
    "718",
    "719",
    "720",
    "724",
    "727",
    "731",
    "732",
    "734",
    "740",
    "754",
    "757",
    "760",
    "763",
    "765",
    "770",
    "772",
    "773",
    "774",
    "775",
    "781",
    "785",
    "786",
    "801",
    "802",
    "803",
    "804",
    "805",
    "806",
    "808",
    "810",
    "812",
    "813",
    "814",
    "815",
    "816",
    "817",
    "818",
    "828",
    "830",
    "831",
    "832",
    "843",
    "845",
    "847",
    "848",
    "850",
    "856",
    "857",
    "858",
    "859",
    "860",
    "862",
    "863",
    "864",
    "865",
    "870",
    "878",
    "901",
    "903",
    "904",
    "906",
    "907",
    "908",
    "909",
    "910",
    "912",
    "913",
    "914",
    "915",
    "916",
    "917",
    "918",
    "919",
    "920",
    "925",
    "928",
    "931",
    "936",
    "937",
    "940",
    "941",
    "947",
    "949",
    "951",
    "952",
    "954",
    "956",
    "970",
    "971",
    "972",
    "973",
    "978",
    "979",
    "980",
    "985",
    "989",
]
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
LANGUAGES = (("en", 0.84), ("es", 0.11), ("vi", 0.015), ("zh", 0.01), ("ar", 0.01), ("fr", 0.015))
PRACTICE_WORDS = (
    "Orthopedics",
    "Family Medicine",
    "Cardiology Associates",
    "Pediatrics",
    "Women's Health",
    "Imaging Center",
    "Physical Therapy",
    "Urgent Care",
    "Dermatology",
    "Behavioral Health",
)
SPECIALTY_PLACES = ("Riverside", "Lakeview", "Summit", "Prairie", "Oak Hill", "Cedar", "Harbor")

# (kind, channel, direction, moment of truth, outcome, has staff, has location, sentiment share)
TOUCHPOINT_SHAPES: tuple[tuple[str, str, str, str, str, bool, bool, float], ...] = (
    ("visit", "in_person", "inbound", "clinical_care", "completed", True, True, 0.0),
    ("visit", "in_person", "inbound", "clinical_care", "no-show", False, True, 0.0),
    ("telehealth", "video", "inbound", "clinical_care", "completed", True, False, 0.0),
    ("call", "phone", "inbound", "scheduling", "appointment booked", False, False, 0.0),
    ("call", "phone", "outbound", "follow_up", "reached", True, False, 0.0),
    ("call", "phone", "outbound", "follow_up", "left voicemail", True, False, 0.0),
    ("message", "sms", "outbound", "communications", "delivered", False, False, 0.0),
    ("message", "sms", "outbound", "scheduling", "reminder delivered", False, False, 0.0),
    ("message", "email", "outbound", "communications", "delivered", False, False, 0.0),
    ("message", "sms", "inbound", "communications", "", False, False, 0.3),
    ("portal", "portal", "inbound", "communications", "message read", False, False, 0.0),
    ("billing", "post", "outbound", "billing", "statement sent", False, False, 0.0),
    ("billing", "phone", "inbound", "billing", "question answered", False, False, 0.2),
    ("scheduling", "web", "inbound", "scheduling", "self-booked", False, False, 0.0),
    ("waiting_room", "in_person", "inbound", "waiting_room", "checked in", False, True, 0.0),
    ("survey", "email", "inbound", "follow_up", "responded", False, False, 1.0),
    ("review", "web", "inbound", "follow_up", "published", False, False, 1.0),
    ("referral", "system", "inbound", "clinical_care", "received", False, False, 0.0),
    ("note", "system", "inbound", "", "", True, False, 0.0),
)


# --- names ----------------------------------------------------------------------------------


def _locale_names(locale: str) -> tuple[list[str], list[float], list[str], list[float]]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider

    def weighted(attrs: Sequence[str]) -> tuple[list[str], list[float]]:
        names: dict[str, float] = {}
        for attr in attrs:
            values = getattr(provider, attr, None) or ()
            if isinstance(values, dict):
                for name, weight in values.items():
                    names[name] = names.get(name, 0.0) + float(weight)
            else:
                for rank, name in enumerate(values):
                    # Zipf-like: a few names are common, most are rare.
                    names.setdefault(name, 1.0 / (rank + 10))
        total = sum(names.values()) or 1.0
        ordered = sorted(names)  # the provider's order may change; the alphabet does not
        return ordered, [names[n] / total for n in ordered]

    given, given_w = weighted(("first_names_female", "first_names_male", "first_names"))
    family, family_w = weighted(("last_names",))
    return given, given_w, family, family_w


class NameBook:
    """Given and family names with cumulative weights, for ``random.choices``."""

    def __init__(self) -> None:
        given: dict[str, float] = {}
        family: dict[str, float] = {}
        for locale, share in NAME_LOCALES:
            g, gw, f, fw = _locale_names(locale)
            for name, weight in zip(g, gw, strict=True):
                given[name] = given.get(name, 0.0) + weight * share
            if f:
                for name, weight in zip(f, fw, strict=True):
                    family[name] = family.get(name, 0.0) + weight * share
        self.given = sorted(given)
        self.family = sorted(family)
        self.given_cum = _cumulative([given[n] for n in self.given])
        self.family_cum = _cumulative([family[n] for n in self.family])


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


@cache
def _ascii_word(text: str) -> str:
    from carebond.people.search import normalize

    return "".join(ch for ch in normalize(text) if "a" <= ch <= "z")


def _time_tables() -> tuple[list[str], list[str], int]:
    """Every day and every second of a day of the period, as text: a timestamp is two look-ups."""
    start = DATA_END - timedelta(days=DATA_DAYS)
    days = [(start + timedelta(days=d)).strftime("%Y-%m-%d ") for d in range(DATA_DAYS)]
    clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
    return days, clock, DATA_DAYS * 86400


# --- database plumbing ----------------------------------------------------------------------


PERSON_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "public_id",
    "kind",
    "status",
    "prefix",
    "given_name",
    "middle_name",
    "family_name",
    "suffix",
    "preferred_name",
    "organization_name",
    "pronouns",
    "birth_date",
    "administrative_gender",
    "sex_assigned_at_birth",
    "gender_identity",
    "preferred_language",
    "time_zone",
    "interpreter_needed",
    "large_print",
    "mobility_assistance",
    "accessibility_notes",
    "merged_into_id",
    "organization_id",
)
IDENTIFIER_COLUMNS = ("id", "system", "value", "type_code", "label", "organization_id", "person_id")
CONTACT_COLUMNS = ("id", "system", "value", "use", "rank", "organization_id", "person_id")
SEARCH_COLUMNS = ("id", "organization_id", "term", "field", "person_id")
NAME_TERM_COLUMNS = ("id", "organization_id", "term")
TOUCHPOINT_COLUMNS = (
    "id",
    "public_id",
    "kind",
    "channel",
    "direction",
    "occurred_at",
    "moment_of_truth",
    "sentiment",
    "outcome",
    "summary",
    "source_type",
    "source_id",
    "recorded_at",
    "location_id",
    "organization_id",
    "person_id",
    "recorded_by_id",
    "staff_id",
)
TABLES = {
    "people_person": PERSON_COLUMNS,
    "people_identifier": IDENTIFIER_COLUMNS,
    "people_contactpoint": CONTACT_COLUMNS,
    "people_searchterm": SEARCH_COLUMNS,
    "people_nameterm": NAME_TERM_COLUMNS,
    "touchpoints_touchpoint": TOUCHPOINT_COLUMNS,
}


class Loader:
    """Bulk writes for one database; subclasses know PostgreSQL COPY and SQLite executemany."""

    def __init__(self, tables: dict[str, tuple[str, ...]] | None = None) -> None:
        """``tables``: {table: columns} this load writes (by default the people and touchpoints;
        bench/analytics.py loads appointments and survey answers the same way)."""
        from django.db import connection

        self.connection = connection
        self.tables = tables if tables is not None else TABLES
        connection.ensure_connection()

    # -- shared helpers --
    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return row[0] if row else None

    def next_id(self, table: str) -> int:
        return int(self.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) + 1  # noqa: S608

    def check_columns(self) -> None:
        """Stop with a clear message if the schema gained a required column we do not fill."""
        problems = []
        for table, columns in self.tables.items():
            schema = self.columns(table)
            problems += [f"{table}.{n}" for n, required in schema if required and n not in columns]
            known = {name for name, _ in schema}
            problems += [f"{table}.{c} (gone)" for c in columns if c not in known]
        if problems:
            sys.exit(
                "bench/generate.py does not match the schema; update its column lists: "
                + ", ".join(problems)
            )

    def columns(self, table: str) -> list[tuple[str, bool]]:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def begin_load(self) -> None:
        raise NotImplementedError

    def write(self, table: str, rows: Iterable[Sequence[Any]]) -> int:
        raise NotImplementedError

    def write_chunks(
        self,
        table: str,
        chunks: Iterable[list[tuple[Any, ...]]],
        on_chunk: Callable[[int], None],
    ) -> int:
        total = 0
        for rows in chunks:
            total += self.write(table, rows)
            on_chunk(total)
        return total

    def end_load(self, progress: Callable[[str], None]) -> None:
        raise NotImplementedError


class PostgresLoader(Loader):
    def transaction(self) -> AbstractContextManager[Any]:
        from django.db import transaction

        return transaction.atomic()  # the whole load is one transaction

    def columns(self, table: str) -> list[tuple[str, bool]]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL "
                "AND is_identity = 'NO' FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                [table],
            )
            return [(name, bool(required)) for name, required in cursor.fetchall()]

    def begin_load(self) -> None:
        self.raw = self.connection.connection  # psycopg 3 connection, inside Django's atomic()
        self.saved_indexes: list[str] = []
        self.saved_constraints: list[tuple[str, str, str]] = []
        with self.raw.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            tables = [t for t in self.tables if t != "people_nameterm"]
            # Unique, exclusion and foreign-key constraints (not primary keys: ids arrive in
            # order). Each is checked again, over every row, when it is added back.
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c WHERE c.conrelid::regclass::text = ANY(%s) "
                "AND c.contype IN ('u', 'f', 'x') ORDER BY c.contype DESC, c.conname",
                [tables],
            )
            self.saved_constraints = list(cursor.fetchall())
            for table, name, _ in self.saved_constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            # Plain indexes: everything not backing a constraint.
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables],
            )
            for name, definition in cursor.fetchall():
                self.saved_indexes.append(definition)
                cursor.execute(f"DROP INDEX {name}")

    def write(self, table: str, rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        columns = ", ".join(self.tables[table])
        with (
            self.raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def write_chunks(
        self,
        table: str,
        chunks: Iterable[list[tuple[Any, ...]]],
        on_chunk: Callable[[int], None],
    ) -> int:
        """One COPY for every chunk: the server parses while Python makes the next rows."""
        total = 0
        columns = ", ".join(self.tables[table])
        with (
            self.raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            write_row = copy.write_row
            for rows in chunks:
                for row in rows:
                    write_row(row)
                total += len(rows)
                on_chunk(total)
        return total

    def end_load(self, progress: Callable[[str], None]) -> None:
        with self.raw.cursor() as cursor:
            for table, name, definition in self.saved_constraints:
                if not definition.startswith("FOREIGN KEY"):
                    started = time.monotonic()
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                    progress(f"  {name}: {time.monotonic() - started:.1f}s")
            for definition in self.saved_indexes:
                started = time.monotonic()
                cursor.execute(definition)
                progress(f"  {definition.split(' ON ')[0]}: {time.monotonic() - started:.1f}s")
            for table, name, definition in self.saved_constraints:
                if definition.startswith("FOREIGN KEY"):
                    started = time.monotonic()
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                    progress(f"  {name}: {time.monotonic() - started:.1f}s")
            for table in self.tables:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )

    def after_commit(self, progress: Callable[[str], None]) -> None:
        # VACUUM sets the visibility map (index-only scans) and hint bits, so that the first
        # benchmark queries do not pay for them; ANALYZE gives the planner the new sizes.
        with self.connection.cursor() as cursor:
            for table in self.tables:
                started = time.monotonic()
                cursor.execute(f"VACUUM (ANALYZE) {table}")
                progress(f"  vacuum analyze {table}: {time.monotonic() - started:.1f}s")


class SqliteLoader(Loader):
    def transaction(self) -> AbstractContextManager[Any]:
        return nullcontext()  # begin_load/write/end_load commit in batches themselves

    def columns(self, table: str) -> list[tuple[str, bool]]:
        with self.connection.cursor() as cursor:
            cursor.execute(f"PRAGMA table_info({table})")
            # cid, name, type, notnull, dflt_value, pk
            return [(r[1], bool(r[3]) and r[4] is None and not r[5]) for r in cursor.fetchall()]

    def begin_load(self) -> None:
        raw = self.connection.connection
        self.raw = raw
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("PRAGMA synchronous = OFF")
        raw.execute("PRAGMA cache_size = -2000000")  # 2 GB of page cache for the load
        raw.execute("PRAGMA temp_store = MEMORY")
        tables = [t for t in self.tables if t != "people_nameterm"]
        marks = ", ".join("?" for _ in tables)
        # Indexes, and the triggers that check each row (no double booking): rebuilt after.
        self.saved_indexes = [
            (kind, name, sql)
            for kind, name, sql in raw.execute(
                f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "  # noqa: S608
                f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY type, name",
                tables,
            ).fetchall()
        ]
        for kind, name, _ in self.saved_indexes:
            raw.execute(f'DROP {kind.upper()} "{name}"')
        self.pending = 0
        raw.execute("BEGIN IMMEDIATE")

    def write(self, table: str, rows: Iterable[Sequence[Any]]) -> int:
        columns = self.tables[table]
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        batch = rows if isinstance(rows, list) else list(rows)
        self.raw.executemany(sql, batch)
        self.pending += len(batch)
        if self.pending >= 1_000_000:  # keep the WAL file from growing without bound
            self.raw.execute("COMMIT")
            self.raw.execute("BEGIN IMMEDIATE")
            self.pending = 0
        return len(batch)

    def end_load(self, progress: Callable[[str], None]) -> None:
        self.raw.execute("COMMIT")
        for _, name, sql in self.saved_indexes:
            started = time.monotonic()
            self.raw.execute(sql)
            progress(f"  {name}: {time.monotonic() - started:.1f}s")
        started = time.monotonic()
        self.raw.execute("ANALYZE")
        self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        progress(f"  analyze + checkpoint: {time.monotonic() - started:.1f}s")
        self.raw.execute("PRAGMA synchronous = FULL")
        self.raw.execute("PRAGMA foreign_keys = ON")

    def after_commit(self, progress: Callable[[str], None]) -> None:
        pass


# --- the generator --------------------------------------------------------------------------


class Generator:
    def __init__(
        self, *, people: int, touchpoints: int, seed: int, chunk: int, results: str = "-dataset"
    ) -> None:
        self.people = people
        self.results = results
        self.touchpoints = touchpoints
        self.seed = seed
        self.chunk = chunk
        self.names = NameBook()
        self.page_person_index = people // 2  # a patient in the middle of the id range
        self.log_lines: list[str] = []

    def log(self, message: str) -> None:
        print(message, flush=True)
        self.log_lines.append(message)

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"{self.seed}:{stream}")

    # -- people --
    def person_chunks(
        self, *, org_id: int, first_ids: dict[str, int]
    ) -> Iterable[tuple[list[tuple[Any, ...]], ...]]:
        from carebond.people.search import full_names_of, terms_for

        rng = self.rng("people")
        r = rng.random
        names = self.names
        given, family = names.given, names.family
        given_cum, family_cum = names.given_cum, names.family_cum
        birth_low = date(1930, 1, 1).toordinal()
        birth_span = date(2025, 12, 31).toordinal() - birth_low
        lang_codes = [code for code, _ in LANGUAGES]
        lang_cum = _cumulative([w for _, w in LANGUAGES])
        person_id = first_ids["people_person"]
        identifier_id = first_ids["people_identifier"]
        contact_id = first_ids["people_contactpoint"]
        term_id = first_ids["people_searchterm"]
        self.name_words: set[str] = set()
        self.staff_ids: list[int] = []
        self.page_person_id = 0
        self.page_person_public_id = ""

        # terms_for(...) is a union over a person's parts; names repeat across people, so the
        # names' terms are cached per name. The first people are checked against a full call.
        @cache
        def name_terms(name: str) -> frozenset[tuple[str, str]]:
            return frozenset(
                terms_for(names=[name], birth_date=None, identifiers=(), phones=(), emails=())
            )

        def full_terms(
            person_names: Sequence[str],
            full: list[str],
            birth: date | None,
            mrns: list[str],
            phones: list[str],
            emails: list[str],
        ) -> set[tuple[str, str]]:
            return terms_for(
                names=person_names,
                full_names=full,
                birth_date=birth,
                identifiers=mrns,
                phones=phones,
                emails=emails,
            )

        def per_part_terms(
            person_names: Sequence[str],
            full: list[str],
            birth: date | None,
            mrns: list[str],
            phones: list[str],
            emails: list[str],
        ) -> set[tuple[str, str]]:
            terms = terms_for(
                names=(),
                full_names=full,
                birth_date=birth,
                identifiers=mrns,
                phones=phones,
                emails=emails,
            )
            for name in person_names:
                if name:
                    terms |= name_terms(name)
            return terms

        fast_terms = per_part_terms
        check_left = 2000
        days, clock, period = _time_tables()
        mrn_step, mrn_offset = 7_919_337, 10_000_000  # coprime with 10**8: MRNs never repeat
        index = 0
        while index < self.people:
            n = min(self.chunk, self.people - index)
            persons: list[tuple[Any, ...]] = []
            identifiers: list[tuple[Any, ...]] = []
            contacts: list[tuple[Any, ...]] = []
            terms_rows: list[tuple[Any, ...]] = []
            uuids = rng.randbytes(16 * n).hex()
            given_pick = rng.choices(given, cum_weights=given_cum, k=3 * n)
            family_pick = rng.choices(family, cum_weights=family_cum, k=n)
            lang_pick = rng.choices(lang_codes, cum_weights=lang_cum, k=n)
            for j in range(n):
                i = index + j
                h = uuids[32 * j : 32 * j + 32]
                public_id = f"{h[:12]}4{h[13:16]}{'89ab'[int(h[16], 16) & 3]}{h[17:]}"
                roll = r()
                if i == self.page_person_index or roll < 0.93:
                    kind = "patient"
                elif roll < 0.96:
                    kind = "related"
                elif roll < 0.99:
                    kind = "referral_source"
                else:
                    kind = "staff"
                given_name = given_pick[3 * j]
                family_name = family_pick[j]
                middle = given_pick[3 * j + 1] if r() < 0.3 else ""
                preferred = given_pick[3 * j + 2] if r() < 0.05 else ""
                organization_name = ""
                prefix = ""
                if kind == "referral_source":
                    prefix = "Dr." if r() < 0.8 else ""
                    if r() < 0.2:  # a referring organisation, not a practitioner
                        organization_name = (
                            f"{SPECIALTY_PLACES[int(r() * len(SPECIALTY_PLACES))]} "
                            f"{PRACTICE_WORDS[int(r() * len(PRACTICE_WORDS))]}"
                        )
                        given_name = middle = preferred = family_name = prefix = ""
                if kind in ("referral_source", "staff") or organization_name:
                    birth = None
                else:
                    birth = date.fromordinal(birth_low + int(r() * birth_span))
                gender = "female" if r() < 0.51 else "male"
                if organization_name:
                    gender = ""
                language = lang_pick[j]
                interpreter = language != "en" and r() < 0.4
                second = int(r() * period)
                created = days[second // 86400] + clock[second % 86400]
                persons.append(
                    (
                        person_id,
                        created,
                        created,
                        public_id,
                        kind,
                        "active" if r() < 0.97 else "inactive",
                        prefix,
                        given_name,
                        middle,
                        family_name,
                        "",
                        preferred,
                        organization_name,
                        "",
                        birth.isoformat() if birth else None,
                        gender,
                        "",
                        "",
                        language,
                        "",
                        interpreter,
                        r() < 0.02,
                        r() < 0.03,
                        "",
                        None,
                        org_id,
                    )
                )
                if kind == "staff":
                    self.staff_ids.append(person_id)
                if i == self.page_person_index:
                    self.page_person_id, self.page_person_public_id = person_id, public_id
                mrns: list[str] = []
                if kind == "patient":
                    mrn = str(mrn_offset + (i * mrn_step) % 90_000_000)
                    mrns.append(mrn)
                    identifiers.append(
                        (identifier_id, MRN_SYSTEM, mrn, "MR", "MRN", org_id, person_id)
                    )
                    identifier_id += 1
                phones: list[str] = []
                if r() < 0.9:
                    phone = (
                        f"+1{AREA_CODES[int(r() * len(AREA_CODES))]}"
                        f"{200 + int(r() * 800)}{int(r() * 10000):04d}"
                    )
                    phones.append(phone)
                    contacts.append(
                        (
                            contact_id,
                            "phone",
                            phone,
                            "mobile" if r() < 0.7 else "home",
                            1,
                            org_id,
                            person_id,
                        )
                    )
                    contact_id += 1
                emails: list[str] = []
                if r() < 0.75:
                    local = (
                        _ascii_word(given_name or organization_name or "info")
                        + "."
                        + _ascii_word(family_name or "office")
                        + str(int(r() * 1000))
                    )
                    email = f"{local}@{EMAIL_DOMAINS[int(r() * len(EMAIL_DOMAINS))]}"
                    emails.append(email)
                    contacts.append((contact_id, "email", email, "home", 1, org_id, person_id))
                    contact_id += 1
                person_names = (given_name, middle, family_name, preferred, organization_name)
                full = full_names_of(
                    given=given_name,
                    family=family_name,
                    preferred=preferred,
                    organization_name=organization_name,
                )
                if check_left > 0:
                    # The fast path below must give exactly what the product computes.
                    check_left -= 1
                    terms = terms_for(
                        names=person_names,
                        full_names=full,
                        birth_date=birth,
                        identifiers=mrns,
                        phones=phones,
                        emails=emails,
                    )
                    if terms != fast_terms(person_names, full, birth, mrns, phones, emails):
                        self.log(
                            "  search.terms_for is not per-part: every person gets a full call"
                        )
                        fast_terms = full_terms
                else:
                    terms = fast_terms(person_names, full, birth, mrns, phones, emails)
                for term, field in sorted(terms):
                    terms_rows.append((term_id, org_id, term, field, person_id))
                    term_id += 1
                    if field == "name":
                        self.name_words.add(term)
                person_id += 1
            index += n
            yield persons, identifiers, contacts, terms_rows

    # -- touchpoints --
    def touchpoint_chunks(
        self,
        *,
        org_id: int,
        first_id: int,
        first_person_id: int,
        location_ids: list[int],
    ) -> Iterable[list[tuple[Any, ...]]]:
        rng = self.rng("touchpoints")
        r = rng.random
        total = self.touchpoints
        page_count = min(PAGE_PERSON_TOUCHPOINTS, total)
        step = max(1, total // page_count) if page_count else 0
        page_person = self.page_person_id
        staff = self.staff_ids or [None]
        n_staff = len(staff)
        n_loc = len(location_ids)
        days, clock, period = _time_tables()
        shapes = TOUCHPOINT_SHAPES
        n_shapes = len(shapes)
        ids = list(range(first_person_id, first_person_id + self.people))
        ids.remove(page_person)
        tp_id = first_id
        done = 0
        placed = 0
        while done < total:
            n = min(self.chunk, total - done)
            uuids = rng.randbytes(16 * n).hex()
            people = rng.choices(ids, k=n)
            rows: list[tuple[Any, ...]] = []
            append = rows.append
            for j in range(n):
                g = done + j
                if step and g % step == 0 and placed < page_count:
                    person = page_person
                    placed += 1
                else:
                    person = people[j]
                h = uuids[32 * j : 32 * j + 32]
                kind, channel, direction, mot, outcome, has_staff, has_loc, sentiment_share = (
                    shapes[int(r() * n_shapes)]
                )
                second = int(r() * period)
                occurred = days[second // 86400] + clock[second % 86400]
                sentiment = (
                    round(r() * 2 - 1, 2) if sentiment_share and r() < sentiment_share else None
                )
                append(
                    (
                        tp_id,
                        f"{h[:12]}4{h[13:16]}{'89ab'[int(h[16], 16) & 3]}{h[17:]}",
                        kind,
                        channel,
                        direction,
                        occurred,
                        mot,
                        sentiment,
                        outcome,
                        "",
                        "",
                        "",
                        occurred,
                        location_ids[int(r() * n_loc)] if has_loc and n_loc else None,
                        org_id,
                        person,
                        None,
                        staff[int(r() * n_staff)] if has_staff else None,
                    )
                )
                tp_id += 1
            done += n
            yield rows

    # -- orchestration --
    def run(self) -> dict[str, Any]:
        from django.db import connection

        from carebond.accounts.actions import check_create_organization, do_create_location
        from carebond.core.models import Location, Organization

        loader: Loader = PostgresLoader() if connection.vendor == "postgresql" else SqliteLoader()
        loader.check_columns()
        if Organization.objects.filter(slug=BENCH_ORG_SLUG).exists():
            sys.exit(
                f"The organisation {BENCH_ORG_SLUG!r} exists already: generate into a fresh "
                "database (make bench starts from an empty one)."
            )
        label = database_label()
        self.log(
            f"== Generating {self.people:,} people and {self.touchpoints:,} touchpoints "
            f"(seed {self.seed}) on {database_version()}"
        )
        organization = check_create_organization(
            name="Benchmark Health", time_zone="America/Chicago", slug=BENCH_ORG_SLUG
        )
        for name in ("Bench Main Clinic", "Bench Northside Clinic", "Bench Telehealth"):
            do_create_location(organization, name=name, acting_user=None)
        location_ids = list(
            Location.objects.filter(organization=organization)
            .order_by("id")
            .values_list("id", flat=True)
        )
        org_id = organization.pk
        first_ids = {table: loader.next_id(table) for table in TABLES}
        counts = dict.fromkeys(TABLES, 0)
        phases: dict[str, float] = {}
        started = time.monotonic()

        with loader.transaction():
            phase = time.monotonic()
            loader.begin_load()
            phases["drop_indexes_s"] = round(time.monotonic() - phase, 2)

            phase = time.monotonic()
            for persons, identifiers, contacts, terms_rows in self.person_chunks(
                org_id=org_id, first_ids=first_ids
            ):
                counts["people_person"] += loader.write("people_person", persons)
                counts["people_identifier"] += loader.write("people_identifier", identifiers)
                counts["people_contactpoint"] += loader.write("people_contactpoint", contacts)
                counts["people_searchterm"] += loader.write("people_searchterm", terms_rows)
                elapsed = time.monotonic() - phase
                done = counts["people_person"]
                if done % (self.chunk * 4) == 0 or done == self.people:
                    self.log(
                        f"  people {done:>10,} / {self.people:,}  "
                        f"{done / elapsed:,.0f} people/s  {elapsed:.0f}s"
                    )
            phases["people_s"] = round(time.monotonic() - phase, 2)

            phase = time.monotonic()
            words = sorted(self.name_words)
            name_rows = [
                (first_ids["people_nameterm"] + k, org_id, word) for k, word in enumerate(words)
            ]
            counts["people_nameterm"] = loader.write("people_nameterm", name_rows)
            phases["name_terms_s"] = round(time.monotonic() - phase, 2)

            phase = time.monotonic()

            def touchpoint_progress(done: int) -> None:
                elapsed = time.monotonic() - phase
                if done % (self.chunk * 20) == 0 or done == self.touchpoints:
                    self.log(
                        f"  touchpoints {done:>10,} / {self.touchpoints:,}  "
                        f"{done / elapsed:,.0f} rows/s  {elapsed:.0f}s"
                    )

            counts["touchpoints_touchpoint"] = loader.write_chunks(
                "touchpoints_touchpoint",
                self.touchpoint_chunks(
                    org_id=org_id,
                    first_id=first_ids["touchpoints_touchpoint"],
                    first_person_id=first_ids["people_person"],
                    location_ids=location_ids,
                ),
                touchpoint_progress,
            )
            phases["touchpoints_s"] = round(time.monotonic() - phase, 2)

            phase = time.monotonic()
            self.log("  rebuilding indexes and constraints")
            loader.end_load(self.log)
            phases["indexes_s"] = round(time.monotonic() - phase, 2)

        phase = time.monotonic()
        loader.after_commit(self.log)
        phases["vacuum_analyze_s"] = round(time.monotonic() - phase, 2)
        total_s = time.monotonic() - started
        rows = sum(counts.values())
        self.log(
            f"== Done: {rows:,} rows in {total_s:.0f}s ({rows / total_s:,.0f} rows/s); "
            f"the person with {min(PAGE_PERSON_TOUCHPOINTS, self.touchpoints):,} touchpoints is "
            f"{uuid.UUID(self.page_person_public_id)}"
        )
        result = {
            "database": label,
            "database_version": database_version(),
            "machine": machine(),
            "seed": self.seed,
            "people": self.people,
            "touchpoints": self.touchpoints,
            "organization_id": org_id,
            "organization_slug": BENCH_ORG_SLUG,
            "page_person_id": self.page_person_id,
            "page_person_public_id": str(uuid.UUID(self.page_person_public_id)),
            "page_person_touchpoints": min(PAGE_PERSON_TOUCHPOINTS, self.touchpoints),
            "rows": counts,
            "name_vocabulary": len(self.name_words),
            "given_names": len(self.names.given),
            "family_names": len(self.names.family),
            "phases": phases,
            "total_s": round(total_s, 1),
            "rows_per_s": round(rows / total_s),
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_json(results_path(label, self.results), result)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=50_000, help="rows per batch")
    parser.add_argument(
        "--results",
        default="-dataset",
        help="what to call the record: bench/results/<database><RESULTS>.json",
    )
    args = parser.parse_args()
    if args.people < 2:
        parser.error("--people must be at least 2")
    setup_django()
    Generator(
        people=args.people,
        touchpoints=args.touchpoints,
        seed=args.seed,
        chunk=args.chunk,
        results=args.results,
    ).run()


if __name__ == "__main__":
    main()
