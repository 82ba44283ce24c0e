"""The billing pages' forms: they parse; the actions and selectors check."""

from __future__ import annotations

from typing import Any

from django import forms

from carebond.billing.models import StatementSource, StatementStatus
from carebond.billing.selectors import StatementFilters
from carebond.core.dates import RECORD_DATES
from carebond.core.forms import CsvFileField, DateInRangeField

PERIODS = (7, 30, 90, 365)


class ImportForm(forms.Form):
    file = CsvFileField(
        help_text="Columns statement_id, patient_mrn, statement_date, amount_billed, amount_due, "
        "status (currency optional); UTF-8; at most 5 MB."
    )


class StatementFilterForm(forms.Form):
    """The statements page's filters (a GET form: works without JavaScript)."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), *StatementStatus.choices], required=False
    )
    source = forms.ChoiceField(
        choices=[("", "Any source"), *StatementSource.choices], required=False
    )
    since = DateInRangeField(date_range=RECORD_DATES, label="Dated from", required=False)
    until = DateInRangeField(date_range=RECORD_DATES, label="Dated to", required=False)

    def filters(self) -> StatementFilters:
        data = self.cleaned_data
        return StatementFilters(
            status=data.get("status") or "",
            source=data.get("source") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label="Period",
        choices=[(str(days), f"Last {days} days") for days in PERIODS],
        coerce=int,
        initial="30",
        required=False,
    )


class HandlersForm(forms.Form):
    handlers = forms.MultipleChoiceField(
        label="Who answers billing questions",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Billing questions nobody has yet go to the one of them with the most room "
        "(their inbox capacity). None ticked: billing questions wait in the shared inbox.",
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handlers"].choices = people  # type: ignore[attr-defined]

    def user_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["handlers"]]
