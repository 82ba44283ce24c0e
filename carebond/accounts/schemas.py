from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from carebond.accounts.models import ApiToken
from carebond.core.schemas import CleanStr, Column, InputSchema


class OrganizationOut(Schema):
    id: UUID
    name: str
    time_zone: str


class MeOut(Schema):
    id: UUID
    username: str
    display_name: str
    email: str
    role: str
    organization: OrganizationOut
    mfa_enrolled: bool


class ApiTokenIn(InputSchema):
    name: Annotated[CleanStr, Column(ApiToken, "name")] = Field(
        min_length=1, description="What will use the token."
    )


class ApiTokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewApiTokenOut(ApiTokenOut):
    token: str = Field(description="The secret. Shown once; store it now.")


class LocationOut(Schema):
    id: UUID
    name: str
    address: str
    phone: str
    time_zone: str


class DepartmentOut(Schema):
    id: UUID
    name: str
    location_id: UUID | None
