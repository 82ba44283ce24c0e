"""The period of an accounting of access, and the language of a printed copy of the record."""

from __future__ import annotations

from django import forms

from carebond.core.dates import RECORD_DATES
from carebond.core.forms import DateInRangeField, DateSpanForm
from carebond.interop.record_copy import LANGUAGES


class AccountingPeriodForm(DateSpanForm):
    since = DateInRangeField(required=False, label="From", date_range=RECORD_DATES)
    until = DateInRangeField(required=False, label="To", date_range=RECORD_DATES)


class CopyLanguageForm(forms.Form):
    language = forms.ChoiceField(
        required=False,
        choices=[("", "The patient's language"), *LANGUAGES.items()],
        label="Language of the PDF",
    )
