"""The one error tree. Every interface (API, pages, FHIR, CLI) maps these once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class CareBondError(Exception):
    """Base of every error the product raises on purpose. ``message`` is safe to show a user."""

    status = 400
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class NotFound(CareBondError):
    """Missing or outside the user's scope: the two must look the same."""

    status = 404
    default_code = "not_found"

    def __init__(self, message: str = "Not found.", *, code: str | None = None) -> None:
        super().__init__(message, code=code)


class PermissionDenied(CareBondError):
    """The user is known but their role may not do this (never used to hide other tenants)."""

    status = 403
    default_code = "forbidden"


class RuleViolation(CareBondError):
    """The request is well formed but breaks a business rule (e.g. a state transition)."""

    status = 409
    default_code = "rule_violation"


class InvalidInput(CareBondError):
    """A field's value is wrong; ``field`` names it."""

    status = 422
    default_code = "invalid"


class InvalidFields(InvalidInput):
    """Several fields are wrong at once: every one is reported, each at its own field (a
    form shows them all, the API lists them), instead of one at a time."""

    def __init__(self, errors: list[InvalidInput]) -> None:
        first = errors[0]
        more = f" ({len(errors) - 1} more below)" if len(errors) > 1 else ""
        super().__init__(first.message + more, code=first.code, field=first.field)
        self.errors = errors


class Problems:
    """Collects InvalidInput from checks that can each fail, then raises them together.

    problems = Problems()
    with problems.check():
        birth_date = validate_birth_date(value)
    ...
    problems.raise_any()
    """

    def __init__(self) -> None:
        self.errors: list[InvalidInput] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InvalidFields as several:
            self.errors.extend(several.errors)
        except InvalidInput as error:
            self.errors.append(error)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidFields(self.errors)
