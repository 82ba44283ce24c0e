"""Fetch tenancy objects within the acting user's organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpRequest

from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Department, Location

if TYPE_CHECKING:
    from carebond.accounts.models import User

_Row = TypeVar("_Row", bound=models.Model)
_Found = TypeVar("_Found")


def one_or_not_found(rows: models.QuerySet[_Row], message: str) -> _Row:
    """The first row of an organisation-filtered query, or NotFound: every access_* function
    ends here, so a missing row and another organisation's row look the same (404, one body)."""
    row = rows.first()
    if row is None:
        raise NotFound(message)
    return row


def named_record(field: str, find: Callable[[], _Found]) -> _Found:
    """A record named in an API query or body: one that does not exist (or is another
    organisation's) is a 422 at its field, as any other bad value there."""
    try:
        return find()
    except NotFound as error:
        raise InvalidInput(error.message, field=field) from None


def signed_in_user(request: HttpRequest) -> User:
    """The staff user behind a page request (page_policy has already let them in)."""
    user = request.user
    if not isinstance(user, get_user_model()):
        raise NotFound("Not found.")
    return user


def access_location(user: User, public_id: UUID | str) -> Location:
    return one_or_not_found(
        Location.objects.filter(organization_id=user.organization_id, public_id=public_id),
        "No such location.",
    )


def access_department(user: User, public_id: UUID | str) -> Department:
    return one_or_not_found(
        Department.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related("location"),
        "No such department.",
    )
