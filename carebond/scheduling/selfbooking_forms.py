"""Forms of the public booking pages: they parse; the self-booking actions validate. Labels are
set by the page in the patient's language."""

from __future__ import annotations

from django import forms

from carebond.core.dates import BIRTH_DATES
from carebond.core.forms import DateInRangeField
from carebond.scheduling.selfbooking_actions import CAREGIVERS


class HoldForm(forms.Form):
    """A time pressed on the booking page."""

    appointment_type = forms.UUIDField(widget=forms.HiddenInput)
    provider = forms.UUIDField(widget=forms.HiddenInput)
    location = forms.UUIDField(widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)


class ClaimForm(forms.Form):
    """Who the visit is for."""

    seen_before = forms.ChoiceField(
        choices=[("yes", "yes"), ("no", "no")], widget=forms.RadioSelect
    )
    given_name = forms.CharField(required=False, max_length=100)
    family_name = forms.CharField(required=False, max_length=100)
    birth_date = DateInRangeField(date_range=BIRTH_DATES)
    contact = forms.CharField(max_length=254)
    caregiver_name = forms.CharField(required=False, max_length=200)
    caregiver_relationship = forms.ChoiceField(
        required=False, choices=[("", "")] + [(c.value, c.label) for c in CAREGIVERS]
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class MoveForm(forms.Form):
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
