from __future__ import annotations

from uuid import UUID

from ninja import Schema


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
