"""What the API accepts is bounded: every string by its column (and the OpenAPI says so), every
number and list by a documented range, every date by its range (carebond.core.dates)."""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import models
from django.test import Client
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.core.schemas import Column
from carebond.people.models import Identifier, Person
from carebond.people.tests.factories import make_patient
from carebond.touchpoints.models import Touchpoint
from config.api import api

SELF_BOUNDED_FORMATS = {"uuid", "date", "date-time"}
KIND_WIDTH = int(Touchpoint._meta.get_field("kind").max_length or 0)


def _spec() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api/v1/")


def _unbounded(schema: dict[str, Any], where: str, spec: dict[str, Any]) -> Iterator[str]:
    """Where a value of ``schema`` can be as long or as large as a client likes."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        yield from _unbounded(spec["components"]["schemas"][name], where, spec)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _unbounded(option, where, spec)
    kind = schema.get("type")
    if (
        kind == "string"
        and "enum" not in schema
        and schema.get("format") not in SELF_BOUNDED_FORMATS
    ):
        if "maxLength" not in schema:
            yield f"{where}: a string without maxLength"
    elif kind in {"integer", "number"}:
        if not {"minimum", "exclusiveMinimum"} & set(schema) or not {
            "maximum",
            "exclusiveMaximum",
        } & set(schema):
            yield f"{where}: a number without minimum and maximum"
    elif kind == "array":
        if "maxItems" not in schema:
            yield f"{where}: a list without maxItems"
        yield from _unbounded(schema.get("items", {}), f"{where}[]", spec)
    elif kind == "object":
        for name, value in schema.get("properties", {}).items():
            yield from _unbounded(value, f"{where}.{name}", spec)


def test_every_string_number_and_list_the_api_accepts_is_bounded_in_the_openapi() -> None:
    # given every parameter and request body of every operation
    spec = _spec()
    found: list[str] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{label} {parameter['in']} {parameter['name']}"
                found += _unbounded(parameter["schema"], where, spec)
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                found += _unbounded(media["schema"], f"{label} body", spec)
    # then each one has a documented bound
    assert found == []


def _columns(info: FieldInfo) -> list[Column]:
    """The Column markers of a field (pydantic keeps a plain field's in ``metadata``)."""
    return [m for m in info.metadata if isinstance(m, Column)] + list(_nested(info.annotation))


def _nested(annotation: Any) -> Iterator[Column]:
    if typing.get_origin(annotation) is typing.Annotated:
        yield from (m for m in annotation.__metadata__ if isinstance(m, Column))
    for argument in typing.get_args(annotation):
        yield from _nested(argument)


def _input_models() -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [
        model
        for _prefix, router in api._routers
        for path_view in router.path_operations.values()
        for operation in path_view.operations
        for model in operation.signature.models
    ]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        yield model
        for info in model.model_fields.values():
            todo += [t for t in _types(info.annotation) if issubclass(t, BaseModel)]


def _types(annotation: Any) -> Iterator[type]:
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _types(argument)


def test_every_column_bound_is_the_columns_own_max_length() -> None:
    # given every field of every API input that says which column it is stored in
    checked = 0
    for model in _input_models():
        properties = model.model_json_schema()["properties"]
        for name, info in model.model_fields.items():
            for column in _columns(info):
                # then the column exists, and the documented maxLength is the column's (or,
                # for a text column without one, the bound its action enforces)
                field = column.model._meta.get_field(column.name)
                assert isinstance(field, models.CharField | models.TextField), column
                limits = {
                    p.get("maxLength") for p in [properties[name], *_options(properties[name])]
                }
                expected = field.max_length or column.max_length
                assert expected in limits, f"{model.__name__}.{name}: {limits} vs {expected}"
                checked += 1
    assert checked >= 20


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [option for key in ("anyOf", "oneOf") for option in schema.get(key, [])]


def test_every_text_field_of_the_person_inputs_names_its_column() -> None:
    # given the person inputs, whose field names are Person's own column names
    from carebond.people.schemas import PatientIn, PersonPatchIn

    for model in (PatientIn, PersonPatchIn):
        for name, info in model.model_fields.items():
            if name in {"mrn", "contacts"}:
                continue
            field = Person._meta.get_field(name)
            # then each text field is marked with that column
            if isinstance(field, models.CharField):
                assert [c.name for c in _columns(info)] == [name], name


# --- through the API ------------------------------------------------------------------------

ApiFor = Callable[[User], Client]


@pytest.mark.django_db
def test_an_mrn_longer_than_its_column_is_refused_and_nothing_is_written(
    api_for: ApiFor, users_a: dict[str, User]
) -> None:
    # given
    api = api_for(users_a[Role.FRONT_DESK])
    people, audit = Person.objects.count(), AuditEvent.objects.count()
    # when
    response = api.post(
        "/api/v1/people",
        {"family_name": "Silva", "mrn": "M" * 500},
        content_type="application/json",
    )
    # then a 422 names the field and its limit, and nothing was written
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "body.payload.mrn"
    assert "at most 100 characters" in body["message"]
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people, audit)
    # and an MRN as long as the column allows is stored whole
    full = api.post(
        "/api/v1/people",
        {"family_name": "Silva", "mrn": "M" * 100},
        content_type="application/json",
    )
    assert full.status_code == 201
    assert Identifier.objects.get(person__public_id=full.json()["id"]).value == "M" * 100


@pytest.mark.django_db
def test_a_name_longer_than_its_column_is_refused_on_update(
    api_for: ApiFor, org_a: Organization, users_a: dict[str, User]
) -> None:
    person = make_patient(org_a)
    response = api_for(users_a[Role.CLINICIAN]).patch(
        f"/api/v1/people/{person.public_id}",
        {"given_name": "A" * 101},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body.payload.given_name"
    person.refresh_from_db()
    assert person.given_name == "Maria"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("occurred_at", "message"),
    [
        (
            "0001-01-01T00:00:00+14:00",
            "The time 0001-01-01T00:00:00+14:00 is before 1900-01-01. "
            "Accepted: from 1900-01-01 to now.",
        ),
        ("1899-12-31T23:59:59Z", "is before 1900-01-01"),
        ("9999-12-31T23:59:59-12:00", "is in the future"),
    ],
)
def test_a_touchpoint_outside_the_clinical_range_is_422_not_500(
    api_for: ApiFor, org_a: Organization, users_a: dict[str, User], occurred_at: str, message: str
) -> None:
    # given
    person = make_patient(org_a)
    # when
    response = api_for(users_a[Role.CLINICIAN]).post(
        f"/api/v1/people/{person.public_id}/touchpoints",
        {"kind": "call", "occurred_at": occurred_at},
        content_type="application/json",
    )
    # then
    assert response.status_code == 422
    assert response.json()["field"] == "body.payload.occurred_at"
    assert message in response.json()["message"]
    assert not Touchpoint.objects.exists()


@pytest.mark.django_db
def test_a_touchpoint_on_the_first_day_of_the_range_is_kept(
    api_for: ApiFor, org_a: Organization, users_a: dict[str, User]
) -> None:
    person = make_patient(org_a)
    response = api_for(users_a[Role.CLINICIAN]).post(
        f"/api/v1/people/{person.public_id}/touchpoints",
        {"kind": "call", "occurred_at": "1900-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert Touchpoint.objects.get().occurred_at.year == 1900


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "0001-01-01"}, "query.since"),
        ({"until": "9999-12-31"}, "query.until"),
        # a number is no date (pydantic alone would read 0 as 1970-01-01)
        ({"until": "0"}, "query.until"),
        ({"since": "2026-02-10T10:00:00"}, "query.since"),
        ({"kind": "k" * (KIND_WIDTH + 1)}, "query.kind"),
    ],
)
def test_timeline_filters_outside_their_range_are_422(
    api_for: ApiFor,
    org_a: Organization,
    users_a: dict[str, User],
    query: dict[str, str],
    field: str,
) -> None:
    person = make_patient(org_a)
    response = api_for(users_a[Role.CLINICIAN]).get(
        f"/api/v1/people/{person.public_id}/timeline", query
    )
    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [({"q": "x" * 101}, "query.q"), ({"q": "maria", "limit": "-1"}, "query.limit")],
)
def test_search_input_is_bounded(
    api_for: ApiFor, users_a: dict[str, User], query: dict[str, str], field: str
) -> None:
    response = api_for(users_a[Role.CLINICIAN]).get("/api/v1/people/search", query)
    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.django_db
def test_a_birth_date_outside_its_range_is_422_with_the_range(
    api_for: ApiFor, users_a: dict[str, User]
) -> None:
    response = api_for(users_a[Role.FRONT_DESK]).post(
        "/api/v1/people",
        {"family_name": "Silva", "birth_date": "0001-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body.payload.birth_date"
    assert response.json()["message"].endswith(
        "The birth date 0001-01-01 is before 1890-01-01. Accepted: from 1890-01-01 to today."
    )


# --- through the pages' forms ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("form_path", "data", "field", "message"),
    [
        (
            "carebond.touchpoints.forms.TouchpointForm",
            {"kind": "call", "occurred_at": "0001-01-01T00:00"},
            "occurred_at",
            "is before 1900-01-01",
        ),
        (
            "carebond.touchpoints.forms.TimelineFilterForm",
            {"until": "9999-12-31"},
            "until",
            "is after",
        ),
        (
            "carebond.people.forms.NewPatientForm",
            {"given_name": "Ana", "family_name": "Silva", "birth_date": "1700-01-01"},
            "birth_date",
            "is before 1890-01-01",
        ),
        (
            "carebond.people.forms.HistoryForm",
            {"category": "condition", "display": "Asthma", "onset": "0001-01-01"},
            "onset",
            "is before 1900-01-01",
        ),
        (
            "carebond.audit.forms.AuditFilterForm",
            {"since": "0001-01-01"},
            "since",
            "is before 1900-01-01",
        ),
    ],
)
def test_the_forms_refuse_dates_outside_their_range(
    form_path: str, data: dict[str, str], field: str, message: str
) -> None:
    from django.utils.module_loading import import_string

    form = import_string(form_path)(data)
    assert not form.is_valid()
    assert message in form.errors[field][0]
