"""Types shared by every API input schema."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict


def _no_control_characters(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Every text field of an API input: databases refuse NUL, so refuse it with a 422 first.
CleanStr = Annotated[str, AfterValidator(_no_control_characters)]


class InputSchema(Schema):
    """Base of API inputs: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class FieldErrorOut(Schema):
    field: str = Field(description="Where: e.g. body.payload.birth_date or query.page.")
    message: str


class ErrorOut(Schema):
    """The body of every API error, whatever its status."""

    message: str = Field(description="What went wrong, in words a user can act on.")
    code: str = Field(description="Stable machine-readable code, e.g. not_found or invalid.")
    field: str | None = Field(description="The input field at fault, when there is one.")
    errors: list[FieldErrorOut] | None = Field(
        default=None, description="Every invalid field (422 from input validation only)."
    )
