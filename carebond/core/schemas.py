"""Types shared by every API input schema: clean text, strings bounded by their column, dates
bounded by their range, and the error body."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from django.db import models
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
)
from pydantic_core import CoreSchema, PydanticCustomError

from carebond.core.dates import BIRTH_DATES, PAST_TIMES, RECORD_DATES, DateRange


def _no_control_characters(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Every text field of an API input: databases refuse NUL, so refuse it with a 422 first.
CleanStr = Annotated[str, AfterValidator(_no_control_characters)]


@dataclass(frozen=True)
class Column:
    """Marks an input string as stored in ``model.name``: its maxLength is the column's, so the
    API refuses (422, and says so in the OpenAPI) what the database would refuse or keep whole.
    ``max_length`` bounds a text column that has none (the bound its action enforces).

    Usage: ``given_name: Annotated[CleanStr, Column(Person, "given_name")]``."""

    model: type[models.Model]
    name: str
    max_length: int | None = None

    def column_max_length(self) -> int | None:
        return getattr(self.model._meta.get_field(self.name), "max_length", None)

    def limit(self) -> int:
        column, chosen = self.column_max_length(), self.max_length
        if column is None and chosen is None:
            raise TypeError(f"{self}: a column without max_length needs max_length= here")
        if column is not None and chosen is not None and chosen > column:
            raise TypeError(f"{self}: max_length={chosen} is over the column's {column}")
        return min(n for n in (column, chosen) if n is not None)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return _limit_strings(handler(source), self.limit())


def _limit_strings(schema: CoreSchema, limit: int) -> CoreSchema:
    if schema["type"] == "str":
        return {**schema, "max_length": limit}
    if schema["type"] in {"function-after", "function-before", "nullable", "default"}:
        inner: CoreSchema = schema["schema"]
        return {**schema, "schema": _limit_strings(inner, limit)}
    raise TypeError(f"Column() marks strings, not {schema['type']}")


def _in_range(date_range: DateRange) -> AfterValidator:
    def check(value: date | datetime) -> date | datetime:
        problem = date_range.problem(value)
        if problem:
            raise PydanticCustomError(
                "out_of_range",
                "{problem} Accepted: {accepted}.",
                {"problem": problem, "accepted": date_range.describe()},
            )
        return value

    return AfterValidator(check)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """A date is written YYYY-MM-DD: a number (pydantic would read 0 as 1970-01-01, seconds
    since the epoch) or a date and time is refused, as the OpenAPI description says."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise PydanticCustomError("date_format", "Give the date as YYYY-MM-DD.")


IsoDate = BeforeValidator(_iso_date)


def _range_doc(date_range: DateRange) -> Any:
    return Field(description=f"{date_range.describe().capitalize()}.")


BirthDate = Annotated[date, IsoDate, _in_range(BIRTH_DATES), _range_doc(BIRTH_DATES)]
PastTime = Annotated[AwareDatetime, _in_range(PAST_TIMES), _range_doc(PAST_TIMES)]
RecordDate = Annotated[date, IsoDate, _in_range(RECORD_DATES), _range_doc(RECORD_DATES)]


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
        default=None, description="Every invalid field, when several are (422 only)."
    )
