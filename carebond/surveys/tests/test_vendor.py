"""Official results from the vendor's CSV: one file one transaction, a bad row named by row and
column with nothing written, a re-import replacing the same measure, period and location; the
page shows them as the vendor's, on their own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidFields, InvalidInput
from carebond.core.permissions import Role
from carebond.surveys.models import VendorResult
from carebond.surveys.tests.conftest import Practice
from carebond.surveys.vendor_actions import VendorImport, check_import_vendor_results

HEADER = "survey,measure,period_start,period_end,location,top_box,mean_score,n,vendor\n"
GOOD = (
    HEADER
    + "CG-CAHPS,Provider communication,2025-10-01,2025-12-31,Main clinic,84.5,91.2,212,Acme\n"
    + "CG-CAHPS,Office staff,2025-10-01,2025-12-31,,78,,640,Acme\n"
    + "HCAHPS,Communication with nurses,10/01/2025,12/31/2025,north clinic,80%,,305,Acme\n"
)


def _import(practice: Practice, text: str) -> VendorImport:
    return check_import_vendor_results(
        practice.organization, text.encode(), acting_user=practice.manager
    )


def test_a_vendors_file_is_imported_and_a_second_import_replaces_the_same_results(
    practice: Practice,
) -> None:
    assert _import(practice, GOOD) == VendorImport(created=3, updated=0)
    communication = VendorResult.objects.get(measure="Provider communication")
    assert (communication.location, communication.top_box, communication.mean_score) == (
        practice.main,
        84.5,
        91.2,
    )
    nurses = VendorResult.objects.get(survey="HCAHPS")
    assert (nurses.location, nurses.top_box, nurses.period_start.isoformat()) == (
        practice.north,
        80.0,
        "2025-10-01",
    )
    staff = VendorResult.objects.get(measure="Office staff")
    assert (staff.location, staff.mean_score, staff.n) == (None, None, 640)
    # when the vendor sends corrected figures for the organisation-wide row, and a new quarter
    again = (
        HEADER
        + "CG-CAHPS,Office staff,2025-10-01,2025-12-31,,79.5,,655,Acme\n"
        + "CG-CAHPS,Office staff,2026-01-01,2026-03-31,,81,,120,Acme\n"
    )
    assert _import(practice, again) == VendorImport(created=1, updated=1)
    staff.refresh_from_db()
    assert (staff.top_box, staff.n) == (79.5, 655)
    assert VendorResult.objects.count() == 4
    assert AuditEvent.objects.filter(action="vendor_result.imported").count() == 4
    updated = AuditEvent.objects.get(action="vendor_result.updated")
    assert updated.changed_fields == ["n", "top_box"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "CG-CAHPS,Office staff,2025-10-01,2025-12-31,,120,,640,Acme",
            "row 3, column top_box: 120 is outside 0-100.",
        ),
        (
            "CG-CAHPS,Office staff,2025-10-01,2025-12-31,,78,,many,Acme",
            "row 3, column n: 'many' is not a whole number of responses (1 or more).",
        ),
        (
            "CG-CAHPS,Office staff,2025-13-01,2025-12-31,,78,,640,Acme",
            "row 3, column period_start: '2025-13-01' is not a date (YYYY-MM-DD or MM/DD/YYYY).",
        ),
        (
            "CG-CAHPS,Office staff,2025-10-01,2025-09-30,,78,,640,Acme",
            "row 3, column period_end: 2025-09-30 is before the period's start.",
        ),
        (
            "CG-CAHPS,Office staff,2025-10-01,2025-12-31,Lakeside,78,,640,Acme",
            "row 3, column location: no location of this organisation is named 'Lakeside'.",
        ),
        (
            "CG-CAHPS,Office staff,2025-10-01,2025-12-31,,,,640,Acme",
            "row 3, column top_box: give the top-box percentage or the mean score (or both).",
        ),
        (
            ",Office staff,2025-10-01,2025-12-31,,78,,640,Acme",
            "row 3, column survey: empty; it is required.",
        ),
        (
            "CG-CAHPS,Provider communication,2025-10-01,2025-12-31,Main clinic,80,,10,Acme",
            "row 3, column measure: the same survey, measure, period start and location as row 2.",
        ),
    ],
)
def test_one_bad_row_refuses_the_whole_file_naming_row_and_column(
    practice: Practice, row: str, message: str
) -> None:
    text = (
        HEADER
        + "CG-CAHPS,Provider communication,2025-10-01,2025-12-31,Main clinic,84.5,91.2,212,Acme\n"
        + row
        + "\n"
    )
    with pytest.raises(InvalidInput) as refused:
        _import(practice, text)
    assert refused.value.message == message
    assert refused.value.field == "file"
    assert not VendorResult.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="vendor_result.").exists()


def test_every_bad_row_is_named_and_a_missing_column_too(practice: Practice) -> None:
    text = (
        HEADER
        + "CG-CAHPS,A,2025-10-01,2025-12-31,,101,,5,Acme\n"
        + "CG-CAHPS,B,2025-10-01,2025-12-31,,50,,0,Acme\n"
    )
    with pytest.raises(InvalidFields) as refused:
        _import(practice, text)
    assert [e.message for e in refused.value.errors] == [
        "row 2, column top_box: 101 is outside 0-100.",
        "row 3, column n: '0' is not a whole number of responses (1 or more).",
    ]
    with pytest.raises(InvalidInput) as missing:
        _import(practice, "survey,measure,period_start,period_end,top_box,n\n")
    assert missing.value.message.startswith("row 1, column mean_score: missing;")
    with pytest.raises(InvalidInput) as latin:
        check_import_vendor_results(
            practice.organization,
            "survey\nEncuesta café".encode("latin-1"),
            acting_user=practice.manager,
        )
    assert "not UTF-8" in latin.value.message
    assert not VendorResult.objects.exists()


def test_the_page_shows_the_vendors_results_apart_and_only_managers_import(
    practice: Practice,
    users_a: dict[str, User],
    users_b: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    manager = client_for(practice.manager)
    empty = manager.get("/surveys/vendor/").content.decode()
    assert "No official results imported yet." in empty
    # a bad file: the reason beside the file field, nothing written
    bad = SimpleUploadedFile("results.csv", (HEADER + "HCAHPS,X,2025-10-01,,,,,1,Acme\n").encode())
    refused = manager.post("/surveys/vendor/upload/", {"file": bad})
    assert refused.status_code == 422
    assert "row 2, column period_end: empty; write the date as YYYY-MM-DD." in (
        refused.content.decode()
    )
    assert not VendorResult.objects.exists()
    # a good one
    done = manager.post(
        "/surveys/vendor/upload/", {"file": SimpleUploadedFile("r.csv", GOOD.encode())}
    )
    assert done.status_code == 302
    assert VendorResult.objects.count() == 3
    page = manager.get("/surveys/vendor/").content.decode()
    assert "Official survey results (from your vendor)" in page
    assert "CG-CAHPS: the vendor's official results" in page
    assert "never compared with these or with CAHPS benchmarks" in page
    # the analyst reads them, imports nothing; other roles and organisations see nothing
    analyst = client_for(users_a[Role.ANALYST])
    assert "Provider communication" in analyst.get("/surveys/vendor/").content.decode()
    again = SimpleUploadedFile("r.csv", GOOD.encode())
    assert analyst.post("/surveys/vendor/upload/", {"file": again}).status_code == 403
    assert client_for(users_a[Role.CLINICIAN]).get("/surveys/vendor/").status_code == 403
    outsider = client_for(users_b[Role.ADMIN]).get("/surveys/vendor/").content.decode()
    assert "Provider communication" not in outsider
