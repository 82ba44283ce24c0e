"""`carebond import-fhir`: the summary a person reads, and the exit status a script checks."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command

from carebond.core.models import Organization
from carebond.interop.testing import synthea_subset
from carebond.people.models import Person


def run_command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_fhir", *args, stdout=out, stderr=err)
    except SystemExit as stop:
        return int(stop.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_clean_import_prints_the_table_and_exits_0(org_a: Organization, tmp_path: Path) -> None:
    synthea_subset(tmp_path / "set", patients=1)

    status, out, _ = run_command(str(tmp_path / "set"), "--organization", org_a.slug, "--quiet")

    assert status == 0
    assert "Patient" in out
    assert "0 rejected" in out
    assert Person.objects.filter(organization=org_a, kind="patient").count() == 1


def test_rejected_bundles_are_listed_and_exit_1(org_a: Organization, tmp_path: Path) -> None:
    bad = {"resourceType": "Patient", "id": "p", "name": [{"family": "Lee"}], "gender": "x"}
    (tmp_path / "bad.json").write_bytes(orjson.dumps(bad))

    status, out, _ = run_command(str(tmp_path), "--organization", org_a.slug, "--quiet")

    assert status == 1
    assert "bad.json" in out
    assert "Patient.gender" in out
    assert "Rejected (nothing of these was written)" in out


def test_a_missing_path_exits_2_and_says_which(org_a: Organization, tmp_path: Path) -> None:
    status, _, err = run_command(str(tmp_path / "nowhere"), "--organization", org_a.slug)

    assert status == 2
    assert "nowhere" in err


@pytest.mark.parametrize("source", ["", "x" * 201])
def test_a_bad_source_is_refused(org_a: Organization, tmp_path: Path, source: str) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--source"):
        run_command(str(tmp_path), "--organization", org_a.slug, "--source", source)
