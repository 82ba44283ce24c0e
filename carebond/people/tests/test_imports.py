"""CSV import of patients and referral sources: mapping, dry run, per-row errors, all or nothing,
re-import by identifier; the command and the upload page. Synthetic data only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from carebond import cli
from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import RuleViolation
from carebond.core.models import Organization
from carebond.people import actions
from carebond.people.actions import MRN_SYSTEM, NPI_SYSTEM, PersonInput
from carebond.people.import_views import MAX_UPLOAD_BYTES, SESSION_KEY
from carebond.people.imports import IGNORE, ImportResult, default_mapping, import_people
from carebond.people.models import (
    Address,
    ContactPoint,
    Identifier,
    Person,
    PersonKind,
    ReferralSourceProfile,
    ReferralSourceType,
)
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db

PATIENTS = (
    "MRN,First Name,Last Name,DOB,Sex,Phone,Mobile,Email,Language,Address,City,State,Zip\n"
    "A-1001,Maria,Lopez,1984-03-07,F,(217) 555-0134,,Maria.Lopez@Example.ORG,es-mx,"
    "12 Elm St,Springfield,IL,62701\n"
    "A-1002,Tom,Baker,03/15/1950,male,217-555-0188,217-555-0199,,Spanish,,,,\n"
)

REFERRAL_SOURCES = (
    "NPI,Given Name,Family Name,Organization,Specialty,Practice,Email\n"
    "1234567893,Priya,Raman,,Cardiology,Heartland Cardiology,priya@heartland.example.org\n"
    ",,,Prairie Home Health,,,intake@prairie.example.org\n"
)


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def pairs(result: ImportResult) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in result.errors]


# --- the service -------------------------------------------------------------------------------


def test_a_patient_file_creates_people_in_normal_forms(org_a: Organization) -> None:
    # when
    result = import_people(org_a, csv_bytes(PATIENTS), acting_user=None)
    # then
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    maria = Person.objects.get(organization=org_a, identifiers__value="A-1001")
    assert maria.kind == PersonKind.PATIENT
    assert (maria.given_name, maria.family_name) == ("Maria", "Lopez")
    assert maria.birth_date == date(1984, 3, 7)
    assert maria.administrative_gender == "female"
    assert maria.preferred_language == "es-MX"
    assert {(c.system, c.value) for c in maria.contact_points.all()} == {
        ("phone", "+12175550134"),
        ("email", "Maria.Lopez@example.org"),
    }
    assert Identifier.objects.get(person=maria).system == MRN_SYSTEM
    address = Address.objects.get(person=maria)
    assert (address.line1, address.city, address.postal_code) == (
        "12 Elm St",
        "Springfield",
        "62701",
    )
    tom = Person.objects.get(organization=org_a, identifiers__value="A-1002")
    assert tom.birth_date == date(1950, 3, 15)
    assert tom.preferred_language == "es"
    assert sorted((c.use, c.value) for c in tom.contact_points.all()) == [
        ("home", "+12175550188"),
        ("mobile", "+12175550199"),
    ]
    assert AuditEvent.objects.filter(action="person.created").count() == 2
    summary = AuditEvent.objects.get(action="people.imported")
    assert summary.organization_id == org_a.pk
    assert "created:2" in summary.changed_fields


def test_referral_sources_get_npi_profile_and_source_type(org_a: Organization) -> None:
    # when
    result = import_people(
        org_a, csv_bytes(REFERRAL_SOURCES), kind=PersonKind.REFERRAL_SOURCE, acting_user=None
    )
    # then
    assert result.errors == []
    assert result.created == 2
    priya = Person.objects.get(organization=org_a, given_name="Priya")
    assert priya.kind == PersonKind.REFERRAL_SOURCE
    assert Identifier.objects.get(person=priya).system == NPI_SYSTEM
    profile = ReferralSourceProfile.objects.get(person=priya)
    assert (profile.npi, profile.specialty, profile.practice_name) == (
        "1234567893",
        "Cardiology",
        "Heartland Cardiology",
    )
    assert profile.source_type == ReferralSourceType.PRACTITIONER
    agency = Person.objects.get(organization=org_a, organization_name="Prairie Home Health")
    assert agency.referral_profile.source_type == ReferralSourceType.ORGANIZATION


def test_reimporting_the_same_file_changes_nothing(org_a: Organization) -> None:
    # given
    import_people(org_a, csv_bytes(PATIENTS), acting_user=None)
    events = AuditEvent.objects.count()
    # when
    result = import_people(org_a, csv_bytes(PATIENTS), acting_user=None)
    # then
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert Person.objects.filter(organization=org_a).count() == 2
    assert ContactPoint.objects.filter(organization=org_a).count() == 4
    # only the summary of the second file
    assert AuditEvent.objects.count() == events + 1


def test_reimport_updates_by_identifier_instead_of_duplicating(org_a: Organization) -> None:
    # given
    import_people(org_a, csv_bytes(PATIENTS), acting_user=None)
    changed = (
        "mrn,first_name,last_name,preferred_name,mobile\n"
        "A-1001,Maria,Lopez-Garcia,Mari,217 555 0177\n"
        "A-1002,,,,\n"
    )
    # when
    result = import_people(org_a, csv_bytes(changed), acting_user=None)
    # then
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert Person.objects.filter(organization=org_a).count() == 2
    maria = Person.objects.get(organization=org_a, identifiers__value="A-1001")
    assert (maria.family_name, maria.preferred_name) == ("Lopez-Garcia", "Mari")
    assert maria.birth_date == date(1984, 3, 7)  # blank cells leave what is stored alone
    assert maria.contact_points.filter(use="mobile", value="+12175550177").exists()
    assert maria.contact_points.count() == 3
    updated = AuditEvent.objects.get(action="person.updated")
    assert sorted(updated.changed_fields) == ["family_name", "preferred_name"]
    assert AuditEvent.objects.filter(action="person.contact_added").count() == 1


def test_reimport_updates_a_referral_profile_by_npi(org_a: Organization) -> None:
    # given
    import_people(
        org_a, csv_bytes(REFERRAL_SOURCES), kind=PersonKind.REFERRAL_SOURCE, acting_user=None
    )
    # when
    result = import_people(
        org_a,
        csv_bytes("npi,last_name,specialty\n1234567893,Raman,Interventional cardiology\n"),
        kind=PersonKind.REFERRAL_SOURCE,
        acting_user=None,
    )
    # then
    assert result.errors == []
    assert result.updated == 1
    profile = ReferralSourceProfile.objects.get(npi="1234567893")
    assert profile.specialty == "Interventional cardiology"
    assert Person.objects.filter(organization=org_a).count() == 2


def test_a_dry_run_reports_and_writes_nothing(org_a: Organization) -> None:
    # given
    make_patient(org_a, "Maria", "Lopez", mrn="A-1001")
    people, events = Person.objects.count(), AuditEvent.objects.count()
    # when
    result = import_people(org_a, csv_bytes(PATIENTS), dry_run=True, acting_user=None)
    # then
    assert result.dry_run
    assert not result.written
    assert result.errors == []
    assert (result.rows, result.created, result.updated) == (2, 1, 1)
    assert Person.objects.count() == people
    assert AuditEvent.objects.count() == events


def test_every_bad_cell_is_reported_with_row_and_column_and_nothing_is_written(
    org_a: Organization,
) -> None:
    # given a file whose row 3 is fine and whose other rows are not
    text = (
        "mrn,first_name,last_name,dob,sex,phone,email,language\n"
        "B-1,Ana,Silva,1990-02-30,F,,,en\n"
        "B-2,Ben,Okafor,1979-11-02,M,217-555-0100,ben@example.org,en\n"
        "B-3,Cleo,Ng,2999-01-01,X,not a phone,cleo@,xx\n"
        "B-4,,,,,,,\n"
    )
    # when
    result = import_people(org_a, csv_bytes(text), acting_user=None)
    # then each problem is named by row and column, with the reason
    assert pairs(result) == [
        (2, "dob"),
        (4, "dob"),
        (4, "sex"),
        (4, "phone"),
        (4, "email"),
        (4, "language"),
        (5, "last_name"),
    ]
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "'1990-02-30' is not a date" in reasons[(2, "dob")]
    assert "in the future" in reasons[(4, "dob")]
    assert "Unknown sex 'X'" in reasons[(4, "sex")]
    assert "'not a phone' is not a phone number" in reasons[(4, "phone")]
    assert "'cleo@' is not an email address" in reasons[(4, "email")]
    assert "'xx' is neither a language we know nor a language code" in reasons[(4, "language")]
    assert "A family name or a given name is required" in reasons[(5, "last_name")]
    assert result.created == 0
    assert result.rejected
    assert Person.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="person").exists()


def test_a_failure_while_writing_undoes_every_row_of_the_file(
    org_a: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the second person's write fails after the first was written
    create = actions.check_create_person
    calls: list[str] = []

    def failing(organization: Organization, data: PersonInput, **kwargs: Any) -> Person:
        calls.append(data.family_name)
        if len(calls) == 2:
            raise RuleViolation("Simulated failure.", code="simulated")
        return create(organization, data, **kwargs)

    monkeypatch.setattr(actions, "check_create_person", failing)
    # when
    result = import_people(org_a, csv_bytes(PATIENTS), acting_user=None)
    # then
    assert calls == ["Lopez", "Baker"]
    assert [(e.row, e.reason) for e in result.errors] == [(3, "Simulated failure.")]
    assert (result.created, result.updated) == (0, 0)
    assert Person.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="person").exists()


def test_a_phone_with_too_few_digits_is_refused(org_a: Organization) -> None:
    # when
    result = import_people(org_a, csv_bytes("last_name,phone\nLopez,12\n"), acting_user=None)
    # then
    assert pairs(result) == [(2, "phone")]
    assert Person.objects.count() == 0


def test_a_file_that_is_not_utf8_is_rejected_whole(org_a: Organization) -> None:
    # given latin-1 bytes of 'José' on line 2
    data = "first_name,last_name\nJosé,Martínez\n".encode("latin-1")
    # when
    result = import_people(org_a, data, acting_user=None)
    # then
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (2, "")
    assert "not UTF-8" in error.reason
    assert "byte 24" in error.reason
    assert "line 2" in error.reason
    assert "CSV UTF-8" in error.reason
    assert Person.objects.count() == 0


def test_utf8_with_a_byte_order_mark_and_semicolons_is_read(org_a: Organization) -> None:
    # given what spreadsheets in some locales write
    data = "\ufefffirst_name;last_name\nJosé;Martínez\n".encode()
    # when
    result = import_people(org_a, data, acting_user=None)
    # then
    assert result.errors == []
    assert Person.objects.get(organization=org_a).given_name == "José"


def test_a_file_without_a_name_column_is_refused_at_the_header(org_a: Organization) -> None:
    # when
    result = import_people(org_a, csv_bytes("mrn,dob\nC-1,1980-01-01\n"), acting_user=None)
    # then
    assert pairs(result) == [(1, "family_name")]
    assert "no name column" in result.errors[0].reason
    assert Person.objects.count() == 0


def test_a_referral_file_needs_an_organisation_or_person_name_column(
    org_a: Organization,
) -> None:
    # when
    result = import_people(
        org_a,
        csv_bytes("npi,specialty\n1234567893,Cardiology\n"),
        kind=PersonKind.REFERRAL_SOURCE,
        acting_user=None,
    )
    # then
    assert pairs(result) == [(1, "organization_name")]


def test_an_unknown_column_is_an_error_unless_mapped_or_ignored(org_a: Organization) -> None:
    # given
    data = csv_bytes("Surname,Favourite colour,Chart\nLopez,teal,M-77\n")
    # when
    refused = import_people(org_a, data, acting_user=None)
    accepted = import_people(
        org_a, data, mapping={"Favourite colour": IGNORE, "chart": "mrn"}, acting_user=None
    )
    # then
    assert pairs(refused) == [(1, "Favourite colour"), (1, "Chart")]
    assert "Unknown column 'Favourite colour'" in refused.errors[0].reason
    assert accepted.errors == []
    assert Identifier.objects.get(organization=org_a).value == "M-77"


def test_a_mapping_to_an_unknown_field_or_missing_column_is_an_error(
    org_a: Organization,
) -> None:
    # when
    result = import_people(
        org_a,
        csv_bytes("last_name,notes\nLopez,x\n"),
        mapping={"notes": "diagnosis", "Ward": IGNORE},
        acting_user=None,
    )
    # then
    assert pairs(result) == [(1, "Ward"), (1, "notes")]
    assert "'diagnosis' is not a CareBond field" in result.errors[1].reason


def test_two_columns_for_one_field_is_an_error(org_a: Organization) -> None:
    # when
    result = import_people(
        org_a, csv_bytes("last_name,phone,telephone\nLopez,,\n"), acting_user=None
    )
    # then
    assert pairs(result) == [(1, "telephone")]
    assert "map to phone" in result.errors[0].reason


def test_a_duplicate_mrn_inside_the_file_names_both_rows(org_a: Organization) -> None:
    # given
    text = "mrn,last_name,dob\nD-1,Lopez,1990-02-30\nD-2,Baker,\nD-1,Lopes,\n"
    # when
    result = import_people(org_a, csv_bytes(text), acting_user=None)
    # then the duplicate is found even though row 2 has an error of its own
    assert pairs(result) == [(2, "dob"), (4, "mrn")]
    assert "MRN D-1 is also on row 2" in result.errors[1].reason
    assert Person.objects.count() == 0


def test_a_row_with_the_wrong_number_of_cells_is_an_error(org_a: Organization) -> None:
    # when
    result = import_people(
        org_a, csv_bytes("last_name,first_name\nLopez,Maria,extra\nBaker,Tom\n"), acting_user=None
    )
    # then
    assert pairs(result) == [(2, "")]
    assert "3 cells but the header has 2 columns" in result.errors[0].reason
    assert Person.objects.count() == 0


def test_the_same_mrn_in_another_organisation_does_not_collide(
    org_a: Organization, org_b: Organization
) -> None:
    # given
    other = make_patient(org_b, "Maria", "Lopez", mrn="A-1001")
    # when
    result = import_people(org_a, csv_bytes(PATIENTS), acting_user=None)
    # then
    assert result.errors == []
    assert result.created == 2
    assert Person.objects.filter(organization=org_a, identifiers__value="A-1001").exists()
    other.refresh_from_db()
    assert other.family_name == "Lopez"
    assert Person.objects.filter(organization=org_b).count() == 1


def test_a_patient_row_cannot_update_a_referral_source(org_a: Organization) -> None:
    # given
    import_people(
        org_a,
        csv_bytes("npi,last_name,mrn\n1234567893,Raman,R-1\n"),
        kind=PersonKind.REFERRAL_SOURCE,
        acting_user=None,
    )
    # when
    result = import_people(org_a, csv_bytes("mrn,last_name\nR-1,Raman\n"), acting_user=None)
    # then
    assert pairs(result) == [(2, "mrn")]
    assert "belongs to a referral source" in result.errors[0].reason


def test_referral_columns_on_a_patient_row_are_refused(org_a: Organization) -> None:
    # when
    result = import_people(org_a, csv_bytes("last_name,npi\nLopez,1234567893\n"), acting_user=None)
    # then
    assert pairs(result) == [(2, "npi")]
    assert "referral sources only" in result.errors[0].reason


def test_default_mapping_recognises_common_headers() -> None:
    # when
    mapping = default_mapping(["MRN", "First Name", "surname", "D.O.B", "E-mail", "Zip Code"])
    # then
    assert mapping == {
        "MRN": "mrn",
        "First Name": "given_name",
        "surname": "family_name",
        "E-mail": "email",
        "Zip Code": "postal_code",
    }


# --- the command -------------------------------------------------------------------------------


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def test_the_command_imports_and_exits_zero(
    org_a: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    call_command("import_csv", "people", write(tmp_path, PATIENTS), "--organization", "org-a")
    # then
    out = capsys.readouterr().out
    assert "Imported 2 row(s): 2 created, 0 updated, 0 unchanged." in out
    assert Person.objects.filter(organization=org_a).count() == 2


def test_the_command_prints_the_errors_and_exits_one(
    org_a: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    path = write(tmp_path, "mrn,last_name,email,colour\nE-1,Lopez,nope,red\n")
    # when
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_csv", "people", path, "--organization", "org-a")
    # then
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "colour" in out
    assert "Unknown column" in out
    assert "nothing was written" in out
    assert Person.objects.count() == 0


def test_the_command_maps_ignores_and_dry_runs(
    org_a: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    path = write(tmp_path, "Chart,Surname,colour\nM-1,Lopez,red\n")
    # when
    call_command(
        "import_csv",
        "people",
        path,
        "--map",
        "Chart=mrn",
        "--ignore",
        "colour",
        "--dry-run",
    )
    # then
    out = capsys.readouterr().out
    assert "Would import 1 row(s): 1 to create" in out
    assert "Dry run: nothing was written." in out
    assert Person.objects.count() == 0


def test_the_carebond_alias_runs_the_command(
    org_a: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    cli.main(["import-csv", "people", write(tmp_path, PATIENTS), "--dry-run"])
    # then
    assert "Would import 2 row(s)" in capsys.readouterr().out
    assert "import-csv" in cli.usage()


# --- the upload page ---------------------------------------------------------------------------

URL = "/people/import/"


def upload(client: Client, text: str | bytes, kind: str = PersonKind.PATIENT) -> str:
    """Post the file; returns the upload token the mapping step needs."""
    data = text.encode() if isinstance(text, str) else text
    response = client.post(
        URL,
        {"step": "upload", "kind": kind, "file": SimpleUploadedFile("people.csv", data)},
    )
    assert response.status_code == 200, response.content
    assert b'data-testid="import-mapping"' in response.content
    return str(client.session[SESSION_KEY]["token"])


def mapping_post(
    token: str, headers: dict[int, str], step: str, kind: str = "patient"
) -> dict[str, str]:
    return {
        "step": step,
        "upload": token,
        "kind": kind,
        **{f"column_{index}": field for index, field in headers.items()},
    }


def test_a_manager_uploads_dry_runs_and_imports(
    client_for: Callable[[User], Client], manager_a: User, org_a: Organization
) -> None:
    # given
    client = client_for(manager_a)
    assert client.get(URL).status_code == 200
    token = upload(client, PATIENTS)
    columns = dict(
        enumerate(
            [
                "mrn",
                "given_name",
                "family_name",
                "birth_date",
                "administrative_gender",
                "phone",
                "mobile",
                "email",
                "preferred_language",
                "address_line1",
                "city",
                "state",
                "postal_code",
            ]
        )
    )
    # when
    dry = client.post(URL, mapping_post(token, columns, "check"))
    # then
    assert dry.status_code == 200
    assert b"Dry run" in dry.content
    assert b"<dt>To create</dt><dd>2</dd>" in dry.content
    assert Person.objects.count() == 0
    # when
    done = client.post(URL, mapping_post(token, columns, "import"))
    # then
    assert done.status_code == 200
    assert b"<dt>Created</dt><dd>2</dd>" in done.content
    assert Person.objects.filter(organization=org_a).count() == 2
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="people.imported", actor=manager_a).exists()


def test_the_mapping_form_is_prefilled_from_the_headers(
    client_for: Callable[[User], Client], manager_a: User
) -> None:
    # given
    client = client_for(manager_a)
    # when
    response = client.post(
        URL,
        {
            "step": "upload",
            "kind": "patient",
            "file": SimpleUploadedFile(
                "p.csv", b"Surname,DOB,Favourite colour\nLopez,1980-01-01,x\n"
            ),
        },
    )
    # then recognised headers are preselected; the unknown one waits for a choice
    content = response.content.decode()
    selects = re.findall(r'<select name="(column_\d)"[^>]*>(.*?)</select>', content, re.S)
    chosen = {
        name: re.search(r'<option value="([^"]*)" selected>', options) for name, options in selects
    }
    assert {name: match.group(1) if match else None for name, match in chosen.items()} == {
        "column_0": "family_name",
        "column_1": "birth_date",
        "column_2": "",
    }
    assert '<option value="ignore">Ignore this column</option>' in content


def test_a_stale_upload_token_is_refused_and_a_fresh_visit_forgets_the_file(
    client_for: Callable[[User], Client], manager_a: User
) -> None:
    # given
    client = client_for(manager_a)
    upload(client, "Surname\nLopez\n")
    assert str(client.session[SESSION_KEY]["data"]).startswith("fernet:")  # PHI at rest
    # when
    stale = client.post(URL, {"step": "import", "upload": "not-the-token", "kind": "patient"})
    # then
    assert stale.status_code == 409
    assert "Upload it again" in stale.content.decode()
    assert Person.objects.count() == 0
    # when
    client.get(URL)
    # then
    assert SESSION_KEY not in client.session


def test_the_page_shows_each_error_and_writes_nothing(
    client_for: Callable[[User], Client], manager_a: User
) -> None:
    # given
    client = client_for(manager_a)
    token = upload(client, "Surname,DOB,Favourite colour\nLopez,1980-02-30,teal\n")
    # when the unknown column is left unmapped
    response = client.post(
        URL, mapping_post(token, {0: "family_name", 1: "birth_date", 2: ""}, "import")
    )
    # then
    assert response.status_code == 422
    content = response.content.decode()
    assert "Unknown column &#x27;Favourite colour&#x27;" in content
    assert Person.objects.count() == 0
    # when it is ignored, the bad date is reported by row and column
    response = client.post(
        URL, mapping_post(token, {0: "family_name", 1: "birth_date", 2: IGNORE}, "import")
    )
    assert response.status_code == 422
    assert "<tr><td>2</td><td>DOB</td>" in response.content.decode()
    assert Person.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused_at_upload(
    client_for: Callable[[User], Client], manager_a: User
) -> None:
    # when
    response = client_for(manager_a).post(
        URL,
        {
            "step": "upload",
            "kind": "patient",
            "file": SimpleUploadedFile("p.csv", "last_name\nJosé\n".encode("latin-1")),
        },
    )
    # then
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()


def test_a_file_over_five_megabytes_is_refused_with_a_clear_message(
    client_for: Callable[[User], Client], manager_a: User
) -> None:
    # given
    big = b"last_name\n" + b"Lopez\n" * (MAX_UPLOAD_BYTES // 6 + 1)
    # when
    response = client_for(manager_a).post(
        URL, {"step": "upload", "kind": "patient", "file": SimpleUploadedFile("big.csv", big)}
    )
    # then
    assert response.status_code == 400
    assert "the limit here is 5 MB" in response.content.decode()
    assert SESSION_KEY not in response.wsgi_request.session


def test_an_analyst_gets_403_and_nothing_is_written(
    client_for: Callable[[User], Client], analyst_a: User
) -> None:
    # given
    client = client_for(analyst_a)
    # when
    page = client.get(URL)
    posted = client.post(
        URL,
        {
            "step": "upload",
            "kind": "patient",
            "file": SimpleUploadedFile("p.csv", PATIENTS.encode()),
        },
    )
    # then
    assert page.status_code == 403
    assert posted.status_code == 403
    assert SESSION_KEY not in client.session
    assert Person.objects.count() == 0


def test_an_outsiders_import_lands_in_their_own_organisation(
    client_for: Callable[[User], Client],
    outsider_b: User,
    org_a: Organization,
    org_b: Organization,
) -> None:
    # given organisation A already has MRN A-1001
    make_patient(org_a, "Maria", "Lopez", mrn="A-1001")
    client = client_for(outsider_b)
    token = upload(client, "mrn,last_name\nA-1001,Lopez\n")
    # when
    response = client.post(URL, mapping_post(token, {0: "mrn", 1: "family_name"}, "import"))
    # then B gets a person of its own; A's record is untouched
    assert response.status_code == 200
    assert Person.objects.filter(organization=org_b, identifiers__value="A-1001").count() == 1
    assert Person.objects.filter(organization=org_a).count() == 1
    assert not AuditEvent.objects.filter(organization=org_a, actor=outsider_b).exists()
