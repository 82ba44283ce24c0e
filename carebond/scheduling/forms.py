"""Forms of the schedule pages: they parse; the actions validate."""

from __future__ import annotations

from typing import cast

from django import forms

from carebond.scheduling.actions import STEP_NAMES
from carebond.scheduling.models import CancelledBy

REPEATS = [
    ("", "No: one visit"),
    ("7", "Every week"),
    ("14", "Every 2 weeks"),
    ("28", "Every 4 weeks"),
]
ON_CONFLICT_CHOICES = [
    ("refuse", "Book none, and say which"),
    ("adjust", "Move it to the nearest open time that day"),
]


class FindTimesForm(forms.Form):
    appointment_type = forms.ChoiceField(label="Visit type")
    provider = forms.ChoiceField(label="Provider", required=False)
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    past_the_rules = forms.BooleanField(
        label="Show times the booking rules leave out (needs a reason)", required=False
    )
    repeat_every_days = forms.TypedChoiceField(
        label="Repeat",
        choices=REPEATS,
        coerce=int,
        empty_value=None,
        required=False,
    )
    repeat_times = forms.IntegerField(
        label="Number of visits in the series", min_value=2, max_value=52, initial=4, required=False
    )
    on_conflict = forms.ChoiceField(
        label="If a visit of the series is taken", choices=ON_CONFLICT_CHOICES, required=False
    )
    together = forms.MultipleChoiceField(
        label="Book together, back to back",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(
        self,
        *args: object,
        types: list[tuple[str, str]],
        providers: list[tuple[str, str]],
        household: list[tuple[str, str]] = (),  # type: ignore[assignment]
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["appointment_type"]).choices = types
        cast(forms.ChoiceField, self.fields["provider"]).choices = [
            ("", "First available"),
            *providers,
        ]
        if household:
            cast(forms.ChoiceField, self.fields["together"]).choices = household
        else:
            del self.fields["together"]


class BookForm(forms.Form):
    patient = forms.UUIDField(widget=forms.HiddenInput)
    appointment_type = forms.UUIDField(widget=forms.HiddenInput)
    provider = forms.UUIDField(widget=forms.HiddenInput)
    location = forms.UUIDField(widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    override_reason = forms.CharField(
        label="Reason for overriding a booking rule", required=False, max_length=300
    )
    repeat_every_days = forms.IntegerField(min_value=0, max_value=365, required=False)
    repeat_times = forms.IntegerField(min_value=2, max_value=52, required=False)
    on_conflict = forms.ChoiceField(choices=ON_CONFLICT_CHOICES, required=False)
    together = forms.CharField(required=False, max_length=300)  # members' ids, comma-separated


class MoveForm(forms.Form):
    provider = forms.UUIDField(widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    # "all": this visit and the later ones of its series, to the same time of day
    series = forms.ChoiceField(choices=[("", "this visit"), ("all", "all")], required=False)


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=[(s, s) for s in STEP_NAMES])


class CancelForm(forms.Form):
    cancelled_by = forms.ChoiceField(label="Who cancelled", choices=CancelledBy.choices)
    reason = forms.CharField(label="Reason", max_length=300)
    following = forms.BooleanField(required=False)  # and the later visits of its series
