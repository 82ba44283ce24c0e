"""What every app's pages share: form fields for dates within their range, and an action's
error shown beside the field it names."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from carebond.core.dates import DateRange
from carebond.core.errors import CareBondError, InvalidFields


def show_error(
    form: forms.BaseForm, error: CareBondError, *, aliases: Mapping[str, str] | None = None
) -> None:
    """Put the error beside its field (each of several, beside its own), or at the top of the
    form when the form has no such field. ``aliases`` names the form's field for an action's
    field ("phone" -> "value")."""
    for one in error.errors if isinstance(error, InvalidFields) else [error]:
        field = (aliases or {}).get(one.field or "", one.field)
        form.add_error(field if field in form.fields else None, one.message)


class DateSpanForm(forms.Form):
    """A form whose optional "since" and "until" fields bound a span: "until" may not come
    before "since" (the audit trail's filters, a patient's accounting of access)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "“To” must be on or after “From”.")
        return cleaned


# The largest CSV a page takes: bigger imports run on the server, by command.
MAX_CSV_BYTES = 5 * 1024 * 1024


class CsvFileField(forms.FileField):
    """An uploaded CSV file, cleaned to its bytes (``core.csv_files.read_csv`` reads them);
    a file over the limit is refused with its size and the limit."""

    def __init__(self, *, max_bytes: int = MAX_CSV_BYTES, **kwargs: Any) -> None:
        kwargs.setdefault("label", "CSV file")
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
        super().__init__(**kwargs)
        self.max_bytes = max_bytes

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not upload:
            return upload
        if upload.size > self.max_bytes:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{self.max_bytes / 1024 / 1024:g} MB.",
                code="too_large",
            )
        return upload.read()


class DateInRangeField(forms.DateField):
    """A date refused outside its range (carebond.core.dates), with the range in the message."""

    def __init__(self, *, date_range: DateRange, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)
        self.date_range = date_range
        self.widget.attrs.setdefault("min", date_range.earliest.isoformat())

    def validate(self, value: date | None) -> None:
        super().validate(value)
        _check(self.date_range, value)


class DateTimeInRangeField(forms.DateTimeField):
    """A date and time refused outside its range, as DateInRangeField."""

    def __init__(self, *, date_range: DateRange, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}))
        super().__init__(**kwargs)
        self.date_range = date_range
        self.widget.attrs.setdefault("min", f"{date_range.earliest.isoformat()}T00:00")

    def validate(self, value: datetime | None) -> None:
        super().validate(value)
        _check(self.date_range, value)


def _check(date_range: DateRange, value: date | datetime | None) -> None:
    if value is None:
        return
    problem = date_range.problem(value)
    if problem:
        raise ValidationError(f"{problem} Accepted: {date_range.describe()}.", code="out_of_range")
