"""The API shell: authentication, error mapping, OpenAPI, and tenancy of organisation objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate

from carebond.accounts.models import ApiToken, User
from carebond.audit.models import AuditEvent
from carebond.core.models import Location

pytestmark = pytest.mark.django_db


def test_openapi_document_is_valid_openapi_3(client: Client) -> None:
    # when
    response = client.get("/api/v1/openapi.json")
    # then
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    validate(spec)
    assert "/api/v1/me" in spec["paths"]


def test_interactive_docs_load_from_our_own_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn." not in body


def test_me_with_a_bearer_token(api_for: Callable[[User], Client], manager_a: User) -> None:
    # given
    api = api_for(manager_a)
    # when
    response = api.get("/api/v1/me")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == manager_a.username
    assert body["role"] == "manager"
    assert body["organization"]["name"] == "Alder Family Practice"


def test_me_with_a_signed_in_session(client_for: Callable[[User], Client], analyst_a: User) -> None:
    response = client_for(analyst_a).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["role"] == "analyst"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer nonsense",
        "Bearer cb_deadbeef_wrongsecret",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_missing_or_invalid_token_is_401_with_a_message(header: str | None, admin_a: User) -> None:
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthenticated"
    assert body["message"]


def test_revoked_token_is_refused(admin_a: User) -> None:
    # given a token created and then revoked through the API
    from carebond.accounts.actions import do_create_api_token, do_revoke_api_token

    token, secret = do_create_api_token(admin_a, name="script", acting_user=admin_a)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").status_code == 200
    do_revoke_api_token(token, acting_user=admin_a)
    # when / then
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


def test_token_is_stored_hashed_and_shown_once(
    api_for: Callable[[User], Client], admin_a: User
) -> None:
    # when
    response = api_for(admin_a).post(
        "/api/v1/me/tokens", {"name": "EHR sync"}, content_type="application/json"
    )
    # then
    assert response.status_code == 201
    secret = response.json()["token"]
    stored = ApiToken.objects.get(public_id=response.json()["id"])
    assert secret not in stored.token_hash
    assert stored.token_hash != secret
    assert len(stored.token_hash) == 64
    listing = api_for(admin_a).get("/api/v1/me/tokens").json()
    assert all("token" not in row for row in listing)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me").status_code == 200


def test_malformed_json_is_400_and_writes_nothing(
    api_for: Callable[[User], Client], admin_a: User
) -> None:
    api = api_for(admin_a)
    before = ApiToken.objects.count()
    response = api.post("/api/v1/me/tokens", '{"name": "half', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"]
    assert ApiToken.objects.count() == before


def test_unknown_fields_are_422_naming_the_field(
    api_for: Callable[[User], Client], admin_a: User
) -> None:
    api = api_for(admin_a)
    before = ApiToken.objects.count()
    response = api.post(
        "/api/v1/me/tokens", {"name": "x", "scope": "all"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert "scope" in body["field"]
    assert ApiToken.objects.count() == before


def test_nul_characters_are_422_not_a_database_error(
    api_for: Callable[[User], Client], admin_a: User
) -> None:
    response = api_for(admin_a).post(
        "/api/v1/me/tokens", {"name": "a\u0000b"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body.payload.name"


def test_missing_required_field_is_422(api_for: Callable[[User], Client], admin_a: User) -> None:
    response = api_for(admin_a).post("/api/v1/me/tokens", {}, content_type="application/json")
    assert response.status_code == 422
    assert "name" in response.json()["field"]


def test_outsider_gets_the_same_404_as_for_a_missing_location(
    api_for: Callable[[User], Client],
    location_a: Location,
    outsider_b: User,
    admin_a: User,
) -> None:
    # given a location of organisation A, and an administrator of organisation B
    outsider = api_for(outsider_b)
    # when
    foreign = outsider.get(f"/api/v1/organization/locations/{location_a.public_id}")
    missing = outsider.get("/api/v1/organization/locations/00000000-0000-4000-8000-000000000000")
    # then forbidden and missing look the same
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    # and A's own users see it
    own = api_for(admin_a).get(f"/api/v1/organization/locations/{location_a.public_id}")
    assert own.status_code == 200
    assert own.json()["name"] == "Alder Main"


def test_listings_never_cross_organisations(
    api_for: Callable[[User], Client], location_a: Location, outsider_b: User
) -> None:
    response = api_for(outsider_b).get("/api/v1/organization/locations")
    assert response.status_code == 200
    assert str(location_a.public_id) not in json.dumps(response.json())


def test_bad_uuid_in_path_is_422_not_500(api_for: Callable[[User], Client], admin_a: User) -> None:
    response = api_for(admin_a).get("/api/v1/organization/locations/not-a-uuid")
    assert response.status_code == 422


def test_unknown_api_path_is_json_404(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_token_creation_is_audited(api_for: Callable[[User], Client], admin_a: User) -> None:
    api_for(admin_a).post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")
    assert AuditEvent.objects.filter(action="api_token.created", actor=admin_a).exists()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/me", "GET"),
        ("post", "/api/v1/me", "GET"),
        ("patch", "/api/v1/organization/locations", "GET"),
        ("put", "/api/v1/people/00000000-0000-4000-8000-000000000000", "GET, PATCH"),
    ],
)
def test_a_method_the_path_does_not_serve_is_a_json_405(
    api_for: Callable[[User], Client], admin_a: User, method: str, path: str, allowed: str
) -> None:
    # when
    response = getattr(api_for(admin_a), method)(path)
    # then the error body is the API's, and Allow names what the path serves
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "message": f"{method.upper()} is not allowed here; use {allowed}.",
        "code": "method_not_allowed",
        "field": None,
    }
    assert sorted(response["Allow"].split(", ")) == allowed.split(", ")


def test_a_body_over_the_upload_limit_is_413_not_500(
    api_for: Callable[[User], Client], admin_a: User, settings: Any
) -> None:
    # given a small limit
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = api_for(admin_a)
    before = ApiToken.objects.count()
    # when
    response = api.post("/api/v1/me/tokens", {"name": "x" * 2000}, content_type="application/json")
    # then
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "1,000 bytes" in response.json()["message"]
    assert ApiToken.objects.count() == before


def test_every_operation_documents_its_error_responses(client: Client) -> None:
    # given the OpenAPI description the app serves
    spec = client.get("/api/v1/openapi.json").json()
    error_ref = "#/components/schemas/ErrorOut"
    # then every authenticated operation documents 401, and every operation with an id in its
    # path documents 404 and 422, each with the one error body
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"401"} | ({"404", "422"} if "{" in path else set())
            if method != "get" and method != "delete":
                expected |= {"403", "409"}
                # a body that is not JSON (400) or too large (413), for an operation with one
                expected |= {"400", "413", "422"} if "requestBody" in operation else set()
            assert expected <= set(responses), f"{method.upper()} {path}"
            for status in expected:
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": error_ref}, f"{method.upper()} {path} {status}"
    assert set(spec["components"]["schemas"]["ErrorOut"]["required"]) == {
        "message",
        "code",
        "field",
    }
