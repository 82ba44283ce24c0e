"""POST /fhir/R4: an EHR sends a transaction or batch Bundle; it is imported as one unit.

The answer is a transaction-response (or batch-response) Bundle saying, per entry, what it
became (201 Created with its location, 200 OK when it updated or matched what was there, or 200
with a note when CareBond does not keep that type), or one OperationOutcome naming the entry,
resource and FHIR path of the first problem, with nothing written. DELETE, GET and PATCH entries
are refused (422) before anything is imported: CareBond takes in data, it does not carry out
another system's requests.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from carebond.interop.access import FHIR_IMPORTERS
from carebond.interop.facade.http import fhir_endpoint, fhir_response, fhir_user, outcome_response
from carebond.interop.importing import importer
from carebond.interop.importing import selectors as import_selectors
from carebond.interop.importing.connection_actions import CONNECTION_HEADER, connection_for_post
from carebond.interop.importing.versions import detect_other_version
from carebond.interop.models import ImportVia

_FHIR_VERSION = re.compile(r"fhirVersion\s*=\s*([\d.]+)", re.IGNORECASE)
_OUTCOME_STATUS = {"imported": "201 Created", "updated": "200 OK", "unchanged": "200 OK"}


@fhir_endpoint(FHIR_IMPORTERS, methods=("POST",))
def fhir_base(request: HttpRequest) -> HttpResponse:
    """Managers and administrators (and their API tokens) may import."""
    user = fhir_user(request)
    declared = _FHIR_VERSION.search(request.META.get("CONTENT_TYPE", ""))
    version = declared.group(1) if declared else ""
    if version and not version.startswith("4.0"):
        return outcome_response(
            415,
            code="not-supported",
            diagnostics=f"This server speaks FHIR R4 (4.0.1), not fhirVersion={version[:10]}.",
        )
    if request.content_type not in {"application/fhir+json", "application/json"}:
        return outcome_response(
            415,
            code="not-supported",
            diagnostics="Send the Bundle as application/fhir+json.",
        )
    limit = settings.FHIR_MAX_POST_BYTES
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > limit:
        return outcome_response(
            413,
            code="too-costly",
            diagnostics=(
                f"The body is {length:,} bytes; the limit is {limit:,}. Send smaller Bundles, "
                "or use carebond import-fhir (NDJSON is read line by line)."
            ),
        )
    body = _decoded(request, request.read(limit + 1), limit)
    if isinstance(body, HttpResponse):
        return body
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        position = f"line {error.lineno}, column {error.colno}"
        return outcome_response(
            400,
            code="structure",
            diagnostics=f"The body is not valid JSON ({error.msg} at {position}).",
        )
    problem = _not_a_transaction(document)
    if problem.startswith("Bundle.entry["):
        return outcome_response(
            422, code="not-supported", diagnostics=problem, expression=[problem.split(":")[0]]
        )
    if problem:
        return outcome_response(400, code="structure", diagnostics=problem, expression=["Bundle"])
    connection = connection_for_post(
        user,
        token_prefix=_token_prefix(request),
        header=request.headers.get(CONNECTION_HEADER, "")[:200],
        meta_source=_meta_source(document),
    )
    context = importer.import_document(
        document,
        name="request body",
        organization=user.organization,
        acting_user=user,
        via=ImportVia.API,
        connection=connection,
    )
    run = context.run
    rejected = [p for p in run.problems if not p.get("notice")]
    if rejected:
        problem_row = rejected[0]
        where = [f"entry {problem_row['entry']}"] if problem_row.get("entry") is not None else []
        where += [problem_row["resource"]] if problem_row.get("resource") else []
        prefix = f"Bundle {', '.join(where)}: " if where else ""
        return outcome_response(
            422 if problem_row.get("path") else 400,
            code="processing",
            diagnostics=f"{prefix}{problem_row['message']}. Nothing was imported.",
            expression=[problem_row["path"]] if problem_row.get("path") else None,
        )
    locations = import_selectors.locations_of_targets(
        user, [target for _, _, _, target in context.last_unit if target]
    )
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": f"{document['type']}-response",
            "entry": [
                _entry_response(resource_type, outcome, locations.get(target, ""))
                for _, resource_type, outcome, target in context.last_unit
            ],
        }
    )


def _decoded(request: HttpRequest, body: bytes, limit: int) -> bytes | HttpResponse:
    """The body, inflated when sent gzip-encoded, never past the limit once decompressed (a
    small gzip body can expand to gigabytes): 413 rather than reading on."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in {"", "identity"}:
        return body
    if encoding not in {"gzip", "x-gzip"}:
        return outcome_response(
            415, code="not-supported", diagnostics="Send the body plain or gzip-encoded."
        )
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        return outcome_response(
            400, code="structure", diagnostics="The body is not valid gzip (Content-Encoding)."
        )
    if len(data) > limit or inflater.unconsumed_tail:
        return outcome_response(
            413,
            code="too-costly",
            diagnostics=(
                f"The body expands past the limit once decompressed; the limit is {limit:,} "
                "bytes. Send smaller Bundles, or use carebond import-fhir."
            ),
        )
    return data


def _not_a_transaction(document: Any) -> str:
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        return "POST a Bundle of type transaction or batch to the base URL."
    other = detect_other_version(document)
    if other:
        return other
    if document.get("type") not in {"transaction", "batch"}:
        return (
            f"Bundle.type is {str(document.get('type'))[:30]!r}; the base URL takes transaction "
            "or batch Bundles. Import other files with the upload page or carebond import-fhir."
        )
    entries = document.get("entry")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        request = entry.get("request") if isinstance(entry, dict) else None
        method = str(request.get("method", "")).upper() if isinstance(request, dict) else ""
        if method in {"DELETE", "GET", "HEAD", "PATCH"} or not (
            isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
        ):
            return (
                f"Bundle.entry[{index}]: CareBond imports what a Bundle sends (POST and PUT of "
                f"a resource); it does not carry out {method or 'an entry without a resource'} "
                "requests. Nothing was imported."
            )
    return ""


def _meta_source(document: dict[str, Any]) -> str:
    """Bundle.meta.source: the sending system's URI, when the Bundle says."""
    meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
    source = meta.get("source") if isinstance(meta, dict) else None
    if isinstance(source, str) and 0 < len(source.strip()) <= 200:
        return source.strip()
    return ""


def _token_prefix(request: HttpRequest) -> str:
    """The prefix of the Bearer token the request was authenticated with (a token may be tied
    to a connection): "cb_<prefix>_<secret>"."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    parts = secret.strip().split("_", 2)
    return parts[1] if scheme.lower() == "bearer" and len(parts) == 3 else ""


def _entry_response(resource_type: str, outcome: str, location: str) -> dict[str, Any]:
    response: dict[str, Any] = {"status": _OUTCOME_STATUS.get(outcome, "200 OK")}
    if location:
        response["location"] = location
    if outcome == "skipped":
        response["outcome"] = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": f"CareBond does not keep {resource_type} resources; skipped.",
                }
            ],
        }
    return {"response": response}
