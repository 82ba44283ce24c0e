from __future__ import annotations

from uuid import UUID

from ninja import Schema


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
