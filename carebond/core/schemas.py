"""Types shared by every API input schema."""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
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
