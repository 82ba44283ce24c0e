"""Bounded reading: a small compressed file that expands to a gigantic line or a gigantic file
is refused with the file and the limit named, on every way in (command line, upload, POST),
and the worker's memory stays small while it says so."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.interop.importing.tasks import run_fhir_upload
from carebond.interop.models import ImportRun
from carebond.interop.tests.importing.test_fhir_post import FHIR_JSON, PATIENT, transaction
from carebond.interop.tests.importing.test_import_command import run_command
from carebond.people.models import Person

MIB = 1024 * 1024


def one_giant_line(path: Path, size: int) -> Path:
    """A .ndjson.gz holding one line of ``size`` bytes and no newline: a few hundred KB."""
    with gzip.open(path, "wb", compresslevel=9) as stream:
        chunk = b"a" * MIB
        for _ in range(size // MIB):
            stream.write(chunk)
    return path


def patients_ndjson(path: Path, count: int) -> Path:
    lines = [
        orjson.dumps(dict(PATIENT, id=f"p{n}", name=[{"family": f"Hale{n}", "given": ["Jo"]}]))
        for n in range(count)
    ]
    with gzip.open(path, "wb") as stream:
        stream.write(b"\n".join(lines) + b"\n")
    return path


def test_a_gigantic_line_is_refused_naming_the_file_and_the_limit_in_bounded_memory(
    org_a: Organization, tmp_path: Path, settings: Any
) -> None:
    # given a 300 KB .ndjson.gz whose one line expands to 64 MiB, and a 1 MiB line limit
    settings.FHIR_MAX_LINE_BYTES = MIB
    one_giant_line(tmp_path / "Patient.ndjson.gz", 64 * MIB)
    assert (tmp_path / "Patient.ndjson.gz").stat().st_size < MIB
    # when it is imported from the command line
    tracemalloc.start()
    try:
        status, out, _ = run_command(str(tmp_path), "--organization", org_a.slug, "--quiet")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # then it is rejected, naming the file, the line and the limit, without expanding the line
    assert status == 1
    problem = ImportRun.objects.get().problems[0]
    assert problem["file"] == "Patient.ndjson.gz"
    assert "line 1 is longer than 1 MiB" in problem["message"]
    assert "CAREBOND_FHIR_MAX_LINE_BYTES" in problem["message"]
    assert "Patient.ndjson.gz" in out
    assert peak < 16 * MIB


def test_a_file_expanding_past_the_size_limit_is_refused_and_what_came_before_stays(
    org_a: Organization, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 5 patients of NDJSON, imported two lines to a unit, and a decompressed limit that
    # the file passes in its third unit
    from carebond.interop.importing import reading

    monkeypatch.setattr(reading, "NDJSON_UNIT", 2)
    path = patients_ndjson(tmp_path / "Patient.ndjson.gz", 5)
    settings.FHIR_MAX_DECOMPRESSED_BYTES = len(gzip.decompress(path.read_bytes())) - 10
    # when it is imported
    status, _, _ = run_command(str(tmp_path), "--organization", org_a.slug, "--quiet")
    # then the units before the limit are imported and the rest is refused, naming the limit
    assert status == 1
    problem = ImportRun.objects.get().problems[0]
    assert problem["file"] == "Patient.ndjson.gz"
    assert "CAREBOND_FHIR_MAX_DECOMPRESSED_BYTES" in problem["message"]
    assert Person.objects.filter(organization=org_a).count() == 4


def test_an_uploaded_gigantic_line_is_refused_by_the_worker(
    client_for: Callable[[User], Client],
    manager_a: User,
    org_a: Organization,
    tmp_path: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given an upload of a small .ndjson.gz with one 8 MiB line, and a 1 MiB line limit
    settings.FHIR_UPLOAD_DIR = tmp_path / "uploads"
    settings.FHIR_MAX_LINE_BYTES = MIB
    path = one_giant_line(tmp_path / "Observation.ndjson.gz", 8 * MIB)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    client_for(manager_a).post("/imports/fhir/", {"fhir_files": [upload], "source": "urn:x"})
    run = ImportRun.objects.get()
    # when the worker imports it
    run_fhir_upload.call(run_id=run.pk)
    # then the run names the file and the limit
    run.refresh_from_db()
    assert run.status == "finished"
    assert run.bundles_rejected == 1
    assert run.problems[0]["file"].endswith("Observation.ndjson.gz")
    assert "longer than 1 MiB" in run.problems[0]["message"]


def test_a_gzip_encoded_post_is_read_within_the_limit_and_refused_past_it(
    api_for: Callable[[User], Client], manager_a: User, org_a: Organization, settings: Any
) -> None:
    client = api_for(manager_a)
    body = orjson.dumps(transaction(PATIENT))
    packed = gzip.compress(body)
    # a gzip-encoded transaction within the limit is imported
    settings.FHIR_MAX_POST_BYTES = len(body) + 10
    response = client.post(
        "/fhir/R4/", data=packed, content_type=FHIR_JSON, HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert Person.objects.filter(organization=org_a).count() == 1
    # one that expands past the limit is refused (413) before it is parsed, naming the limit
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    huge = bomb.compress(b" " * (64 * MIB)) + bomb.flush()
    assert len(huge) < MIB
    response = client.post(
        "/fhir/R4/", data=huge, content_type=FHIR_JSON, HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 413
    assert f"the limit is {len(body) + 10:,}" in response.json()["issue"][0]["diagnostics"]
