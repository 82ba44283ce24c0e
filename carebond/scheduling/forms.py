"""Forms of the schedule pages: they parse; the actions validate."""

from __future__ import annotations

from typing import cast

from django import forms

from carebond.scheduling.actions import STEP_NAMES
from carebond.scheduling.models import CancelledBy


class FindTimesForm(forms.Form):
    appointment_type = forms.ChoiceField(label="Visit type")
    provider = forms.ChoiceField(label="Provider", required=False)
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    past_the_rules = forms.BooleanField(
        label="Show times the booking rules leave out (needs a reason)", required=False
    )

    def __init__(
        self,
        *args: object,
        types: list[tuple[str, str]],
        providers: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["appointment_type"]).choices = types
        cast(forms.ChoiceField, self.fields["provider"]).choices = [
            ("", "First available"),
            *providers,
        ]


class BookForm(forms.Form):
    patient = forms.UUIDField(widget=forms.HiddenInput)
    appointment_type = forms.UUIDField(widget=forms.HiddenInput)
    provider = forms.UUIDField(widget=forms.HiddenInput)
    location = forms.UUIDField(widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    override_reason = forms.CharField(
        label="Reason for overriding a booking rule", required=False, max_length=300
    )


class MoveForm(forms.Form):
    provider = forms.UUIDField(widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=[(s, s) for s in STEP_NAMES])


class CancelForm(forms.Form):
    cancelled_by = forms.ChoiceField(label="Who cancelled", choices=CancelledBy.choices)
    reason = forms.CharField(label="Reason", max_length=300)
