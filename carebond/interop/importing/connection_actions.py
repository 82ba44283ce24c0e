"""EHR connections: the named systems an organisation imports FHIR data from, and the API tokens
tied to one. Every import belongs to a connection, so the same resource sent by the command
line, the upload page or POST /fhir/R4 is found again instead of imported twice.

Audit: interop.connection_created, interop.connection_token_tied,
interop.connection_token_untied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from carebond.core.models import Organization
from carebond.interop.models import EhrConnection, EhrConnectionToken

if TYPE_CHECKING:
    from carebond.accounts.models import ApiToken, User

# What the command line and POST /fhir/R4 import into when nothing names a connection.
DEFAULT_SYSTEM = "urn:carebond:source:fhir-import"
DEFAULT_NAME = "Default"
CONNECTION_HEADER = "X-CareBond-Connection"


def clean_connection_fields(name: str, system: str) -> tuple[str, str]:
    name, system = name.strip(), system.strip()
    if not name or len(name) > 100:
        raise InvalidInput("Name the connection (1 to 100 characters).", field="name")
    if not system or len(system) > 200 or any(c.isspace() for c in system):
        raise InvalidInput(
            "The connection's system is a URI of 1 to 200 characters, without spaces "
            "(e.g. the EHR's FHIR base URL, or urn:ehr:epic-prod).",
            field="system",
        )
    return name, system


@transaction.atomic
def check_create_connection(
    organization: Organization, *, name: str, system: str, acting_user: User | None
) -> EhrConnection:
    name, system = clean_connection_fields(name, system)
    taken = EhrConnection.objects.filter(organization=organization).filter(
        Q(name=name) | Q(system=system)
    )
    if taken.exists():
        raise RuleViolation(
            "This organisation already has a connection of that name or system.",
            code="duplicate_connection",
        )
    return do_create_connection(organization, name=name, system=system, acting_user=acting_user)


@transaction.atomic
def do_create_connection(
    organization: Organization, *, name: str, system: str, acting_user: User | None
) -> EhrConnection:
    """Audit: interop.connection_created."""
    connection = EhrConnection.objects.create(
        organization=organization,
        name=name,
        system=system,
        created_at=clock.now(),
        created_by=acting_user,
    )
    record_audit(
        actor=acting_user,
        action="interop.connection_created",
        target=connection,
        organization=organization,
    )
    return connection


def find_connection(organization: Organization, value: str) -> EhrConnection | None:
    """The organisation's connection of this name or system URI."""
    value = value.strip()
    found = EhrConnection.objects.filter(organization=organization)
    return found.filter(system=value).first() or found.filter(name=value).first()


def connection_for_source(
    organization: Organization, source: str, *, acting_user: User | None
) -> EhrConnection:
    """The connection a name or system URI names (the command line's --source, the upload
    page's new connection, a Bundle's meta.source), created the first time it is named: its
    name and system are then both the value."""
    found = find_connection(organization, source)
    if found is not None:
        return found
    name, system = clean_connection_fields(source[:100], source)
    try:
        with transaction.atomic():
            return do_create_connection(
                organization, name=name, system=system, acting_user=acting_user
            )
    except IntegrityError:
        # Created at the same moment by another import (or a name another system has).
        found = find_connection(organization, source)
        if found is None:
            raise RuleViolation(
                f"Another connection is already named {name!r}; name this one by its system.",
                code="duplicate_connection",
            ) from None
        return found


def connection_for_post(
    user: User, *, token_prefix: str, header: str, meta_source: str
) -> EhrConnection:
    """The connection a POST /fhir/R4 imports into: the token's, when it is tied to one; else
    the one the X-CareBond-Connection header names; else the one whose system URI the Bundle's
    meta.source is (created the first time); else the organisation's only connection (the
    default one, created, when it has none). Several and none named: refused."""
    organization = user.organization
    tied = (
        EhrConnectionToken.objects.filter(organization=organization, token__prefix=token_prefix)
        .select_related("connection")
        .first()
        if token_prefix
        else None
    )
    named = find_connection(organization, header) if header.strip() else None
    if header.strip() and named is None:
        raise InvalidInput(
            f"{CONNECTION_HEADER} names no EHR connection of this organisation.",
            field=CONNECTION_HEADER,
        )
    if tied is not None:
        if named is not None and named.pk != tied.connection_id:
            raise PermissionDenied(
                f"This API token imports for the connection {tied.connection.name!r} only."
            )
        return tied.connection
    if named is not None:
        return named
    if meta_source:
        return connection_for_source(organization, meta_source, acting_user=user)
    existing = list(EhrConnection.objects.filter(organization=organization)[:6])
    if len(existing) == 1:
        return existing[0]
    if not existing:
        return connection_for_source(organization, DEFAULT_SYSTEM, acting_user=user)
    names = ", ".join(repr(c.name) for c in existing[:5]) + (", ..." if len(existing) > 5 else "")
    raise InvalidInput(
        f"This organisation has several EHR connections ({names}): name one with the "
        f"{CONNECTION_HEADER} header, or use a token tied to one.",
        field=CONNECTION_HEADER,
    )


@transaction.atomic
def check_tie_token(
    token: ApiToken, connection: EhrConnection, *, acting_user: User | None
) -> None:
    """A token of the connection's organisation posts for that connection only.

    Audit: interop.connection_token_tied."""
    if token.user.organization_id != connection.organization_id:
        raise NotFound("No such API token.")
    EhrConnectionToken.objects.update_or_create(
        token=token,
        defaults={"connection": connection, "organization_id": connection.organization_id},
    )
    record_audit(
        actor=acting_user,
        action="interop.connection_token_tied",
        target=connection,
        organization=connection.organization,
    )


@transaction.atomic
def do_untie_token(token: ApiToken, *, acting_user: User | None) -> bool:
    """Audit: interop.connection_token_untied (when the token was tied)."""
    tie = EhrConnectionToken.objects.filter(token=token).select_related("connection").first()
    if tie is None:
        return False
    tie.delete()
    record_audit(
        actor=acting_user,
        action="interop.connection_token_untied",
        target=tie.connection,
        organization=tie.connection.organization,
    )
    return True
