"""Reading FHIR files: which files, in which order, and how they split into import units.

A unit is what one database transaction imports: one Bundle, or up to ``NDJSON_UNIT`` lines of an
NDJSON file. Files are read one at a time (a Bundle must be parsed whole, NDJSON is streamed line
by line), so memory stays bounded by the largest Bundle, never by the folder.

Files are ordered so that what others point at comes first: organisations, locations and
practitioners (Synthea's provider bundles, or Organization.ndjson from a bulk export) before the
patients' files that reference them.

Reading is bounded once decompressed too: an NDJSON line longer than FHIR_MAX_LINE_BYTES, or a
file expanding past FHIR_MAX_DECOMPRESSED_BYTES (settings), is refused with the file and the
limit named, without holding more than the limit in memory (a 1.5 MB .gz can hold a 3 GB line).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson
from django.conf import settings

from carebond.core.fhir.type_module import LATE_RANK
from carebond.interop.fhir_types import imported_types
from carebond.interop.importing.versions import detect_other_version

NDJSON_UNIT = 1000  # resources per transaction when reading NDJSON
MAX_BUNDLE_BYTES = 512 * 1024 * 1024  # a single JSON document larger than this is refused
FILE_SUFFIXES = (".json", ".ndjson", ".json.gz", ".ndjson.gz", ".jsonl", ".jsonl.gz")

_TYPE_PATTERN = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]+)"')


class FileProblem(Exception):
    """A whole file (or what is left of it) cannot be read; nothing from its unit is imported."""

    def __init__(self, message: str, *, entry: int | None = None, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.entry = entry
        self.path = path


@dataclass
class Entry:
    index: int  # position in the Bundle (or line number - 1 in NDJSON)
    resource: dict[str, Any] | None
    full_url: str = ""
    method: str = ""  # the transaction/batch request method, if any
    request_url: str = ""


@dataclass
class Unit:
    """One transaction's worth of resources from one file."""

    file: str
    label: str  # "Bundle", "lines 1-1000"
    bundle_type: str  # transaction, batch, collection, searchset, document, ndjson
    entries: list[Entry] = field(default_factory=list)
    problem: FileProblem | None = None  # set when the unit could not be read
    notice: str = ""  # what was (not) done with a Bundle that is not plain data (a message)


def find_files(paths: list[Path]) -> list[Path]:
    """Files named on the command line, and the FHIR files inside folders (recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(FILE_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def _open(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def _is_ndjson(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith((".ndjson", ".jsonl"))


RANK_PREFIX = 4 * 1024 * 1024  # what file_rank reads of a Bundle


def file_rank(path: Path) -> int:
    """How early a file should be imported: the latest-ranked resource type it holds decides.
    A provider bundle (only Organization/Location/Practitioner) goes before patient bundles.
    NDJSON files hold one type (bulk export): their first line says which. Of a Bundle the
    first 4 MiB are read; a patient's bundle names its Patient first."""
    try:
        with _open(path) as stream:
            data = stream.readline(64 * 1024) if _is_ndjson(path) else stream.read(RANK_PREFIX)
    except (OSError, EOFError, gzip.BadGzipFile):
        return LATE_RANK  # the import reports the file's problem in its turn
    types = {m.decode() for m in _TYPE_PATTERN.findall(data)} - {"Bundle"}
    # The order resources are best imported in (their types' import rank): what is referenced
    # before what references it.
    ranks = {name: spec.import_rank for name, spec in imported_types().items()}
    return max((ranks.get(t, LATE_RANK) for t in types), default=LATE_RANK)


def import_order(files: list[Path]) -> list[Path]:
    return sorted(files, key=lambda p: (file_rank(p), str(p)))


def read_units(path: Path, *, label: str | None = None) -> Iterator[Unit]:
    """The units of one file, in order. A file that cannot be read yields one unit that
    carries the problem, so that the import reports it and goes on with the next file."""
    name = label or path.name
    if _is_ndjson(path):
        yield from _ndjson_units(path, name)
        return
    try:
        with _open(path) as stream:
            data = stream.read(min(MAX_BUNDLE_BYTES, settings.FHIR_MAX_DECOMPRESSED_BYTES) + 1)
    except gzip.BadGzipFile:
        yield Unit(name, "file", "", problem=FileProblem("not a gzip file (the name ends in .gz)"))
        return
    except (OSError, EOFError) as error:
        yield Unit(
            name,
            "file",
            "",
            problem=FileProblem(
                f"cannot be read ({error.__class__.__name__}: truncated or unreadable)"
            ),
        )
        return
    yield units_from_json(data, name)


def units_from_json(data: bytes, name: str) -> Unit:
    """One JSON document (a Bundle or a single resource) as a unit."""
    if len(data) > MAX_BUNDLE_BYTES:
        return Unit(
            name,
            "file",
            "",
            problem=FileProblem(
                f"larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB; split it, or export it "
                "as NDJSON (one resource per line), which is read line by line"
            ),
        )
    if len(data) > settings.FHIR_MAX_DECOMPRESSED_BYTES:
        return Unit(name, "file", "", problem=FileProblem(_too_big()))
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        return Unit(name, "file", "", problem=FileProblem(_json_problem(data, error)))
    return unit_from_document(document, name)


def _json_problem(data: bytes, error: orjson.JSONDecodeError) -> str:
    if not data.strip():
        return "the file is empty"
    if error.pos >= len(data.rstrip()) - 1:
        return f"the JSON ends too early at line {error.lineno} (the file looks truncated)"
    return f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"


def unit_from_document(document: Any, name: str) -> Unit:
    if not isinstance(document, dict) or "resourceType" not in document:
        return Unit(name, "file", "", problem=FileProblem("not a FHIR resource (no resourceType)"))
    other = detect_other_version(document)
    if other:
        return Unit(name, "file", "", problem=FileProblem(other))
    resource_type = document["resourceType"]
    if resource_type != "Bundle":
        unit = Unit(name, "resource", "single")
        unit.entries.append(Entry(0, document))
        return unit
    bundle_type = document.get("type")
    if bundle_type not in {
        "transaction",
        "batch",
        "collection",
        "searchset",
        "document",
        "message",
        "history",
        "transaction-response",
        "batch-response",
    }:
        return Unit(
            name,
            "Bundle",
            "",
            problem=FileProblem(
                f"Bundle.type {bundle_type!r} is not a FHIR R4 bundle type", path="Bundle.type"
            ),
        )
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        return Unit(
            name,
            "Bundle",
            bundle_type,
            problem=FileProblem("Bundle.entry must be a list", path="Bundle.entry"),
        )
    unit = Unit(name, "Bundle", bundle_type, notice=BUNDLE_NOTICES.get(bundle_type, ""))
    for index, raw in enumerate(entries):
        if not isinstance(raw, dict):
            unit.problem = FileProblem(
                "an entry must be an object", entry=index, path=f"Bundle.entry[{index}]"
            )
            return unit
        request: dict[str, Any] = raw["request"] if isinstance(raw.get("request"), dict) else {}
        resource = raw.get("resource")
        if resource is not None and not isinstance(resource, dict):
            unit.problem = FileProblem(
                "entry.resource must be an object",
                entry=index,
                path=f"Bundle.entry[{index}].resource",
            )
            return unit
        unit.entries.append(
            Entry(
                index,
                resource,
                full_url=str(raw.get("fullUrl") or ""),
                method=str(request.get("method") or "").upper(),
                request_url=str(request.get("url") or ""),
            )
        )
    return unit


def size_text(limit: int) -> str:
    """A limit as people write it: '64 MiB', '8 GiB', else bytes."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit:,} bytes"


def _too_long(number: int) -> str:
    limit = settings.FHIR_MAX_LINE_BYTES
    return (
        f"line {number} is longer than {size_text(limit)} (the limit set by "
        "CAREBOND_FHIR_MAX_LINE_BYTES); nothing from it on was read"
    )


def _too_big() -> str:
    limit = settings.FHIR_MAX_DECOMPRESSED_BYTES
    return (
        f"the file expands to more than {size_text(limit)} (the limit set by "
        "CAREBOND_FHIR_MAX_DECOMPRESSED_BYTES); nothing from there on was read"
    )


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(number, line) with every line and the whole file held to the limits: a line over
    FHIR_MAX_LINE_BYTES raises FileProblem after reading at most the limit (plus one byte)."""
    longest, most = settings.FHIR_MAX_LINE_BYTES, settings.FHIR_MAX_DECOMPRESSED_BYTES
    total = 0
    number = 0
    while True:
        line = stream.readline(longest + 1)
        if not line:
            return
        number += 1
        total += len(line)
        if len(line) > longest and not (len(line) == longest + 1 and line.endswith(b"\n")):
            raise FileProblem(_too_long(number), entry=number - 1)
        if total > most:
            raise FileProblem(_too_big(), entry=number - 1)
        yield number, line


# Bundles that are not plain data: their resources are imported as a collection's are, and the
# run says what was not done with the rest.
BUNDLE_NOTICES = {
    "message": (
        "a FHIR message Bundle: the resources it carries were imported as a collection's are; "
        "the message itself (MessageHeader) was not acted on and no response was sent"
    ),
    "transaction-response": (
        "a transaction-response Bundle: the resources it returns were imported as sent; its "
        "response statuses and locations were not read"
    ),
    "batch-response": (
        "a batch-response Bundle: the resources it returns were imported as sent; its response "
        "statuses and locations were not read"
    ),
    "history": (
        "a history Bundle: its resources were imported as a collection's are (one version of "
        "each; a resource listed twice rejects the Bundle)"
    ),
}


def _ndjson_units(path: Path, name: str) -> Iterator[Unit]:
    unit = Unit(name, "lines 1-", "ndjson")
    first_line = 1
    try:
        with _open(path) as stream:
            for number, line in _lines(stream):
                if not line.strip():
                    continue
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    unit.problem = FileProblem(
                        f"line {number} is not valid JSON ({error.msg})", entry=number - 1
                    )
                    unit.label = f"lines {first_line}-{number}"
                    yield unit
                    return
                if not isinstance(resource, dict) or "resourceType" not in resource:
                    unit.problem = FileProblem(
                        f"line {number} is not a FHIR resource (no resourceType)", entry=number - 1
                    )
                    unit.label = f"lines {first_line}-{number}"
                    yield unit
                    return
                other = detect_other_version(resource)
                if other:
                    unit.problem = FileProblem(other, entry=number - 1)
                    yield unit
                    return
                unit.entries.append(Entry(number - 1, resource))
                if len(unit.entries) >= NDJSON_UNIT:
                    unit.label = f"lines {first_line}-{number}"
                    yield unit
                    first_line = number + 1
                    unit = Unit(name, f"lines {first_line}-", "ndjson")
    except FileProblem as problem:
        unit.problem = problem
        unit.label = f"lines {first_line}-{(problem.entry or 0) + 1}"
        yield unit
        return
    except (OSError, EOFError) as error:
        unit.problem = FileProblem(
            f"cannot be read past line {first_line} "
            f"({error.__class__.__name__}: truncated or unreadable)"
        )
        yield unit
        return
    if unit.entries:
        unit.label = f"lines {first_line}-{unit.entries[-1].index + 1}"
        yield unit
