"""The period of an accounting of access, and the language of a printed copy of the record."""

from __future__ import annotations

from django import forms

from carebond.core.dates import RECORD_DATES
from carebond.core.forms import DateInRangeField
from carebond.interop.record_copy import LANGUAGES


class AccountingPeriodForm(forms.Form):
    since = DateInRangeField(required=False, label="From", date_range=RECORD_DATES)
    until = DateInRangeField(required=False, label="To", date_range=RECORD_DATES)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "“To” must be on or after “From”.")
        return cleaned


class CopyLanguageForm(forms.Form):
    language = forms.ChoiceField(
        required=False,
        choices=[("", "The patient's language"), *LANGUAGES.items()],
        label="Language of the PDF",
    )
