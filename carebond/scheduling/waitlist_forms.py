"""Forms of the waitlist pages: they parse; the actions validate."""

from __future__ import annotations

from typing import cast

from django import forms

from carebond.core.dates import RECORD_DATES
from carebond.core.forms import DateInRangeField
from carebond.scheduling.models import TimeOfDay
from carebond.scheduling.waitlist_actions import MAX_NOTE

WEEKDAY_CHOICES = [
    (str(n), name)
    for n, name in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    )
]


class WaitlistEntryForm(forms.Form):
    appointment_type = forms.ChoiceField(label="Visit type")
    providers = forms.MultipleChoiceField(
        label="Providers (none ticked: any)", required=False, widget=forms.CheckboxSelectMultiple
    )
    locations = forms.MultipleChoiceField(
        label="Locations (none ticked: any)", required=False, widget=forms.CheckboxSelectMultiple
    )
    weekdays = forms.MultipleChoiceField(
        label="Days (none ticked: any)",
        required=False,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    times_of_day = forms.MultipleChoiceField(
        label="Times of day (none ticked: any)",
        required=False,
        choices=TimeOfDay.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    earliest = DateInRangeField(label="Not before", required=False, date_range=RECORD_DATES)
    latest = DateInRangeField(label="Not after", required=False, date_range=RECORD_DATES)
    note = forms.CharField(
        label="Note for the desk",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: object,
        types: list[tuple[str, str]],
        providers: list[tuple[str, str]],
        locations: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["appointment_type"]).choices = types
        cast(forms.MultipleChoiceField, self.fields["providers"]).choices = providers
        cast(forms.MultipleChoiceField, self.fields["locations"]).choices = locations

    @property
    def choice_groups(self) -> list[forms.BoundField]:
        """The tick-box groups, each drawn as a fieldset with its legend."""
        return [self[name] for name in ("providers", "locations", "weekdays", "times_of_day")]

    @property
    def single_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("appointment_type", "earliest", "latest", "note")]


class RemoveForm(forms.Form):
    reason = forms.CharField(label="Why", required=False, max_length=200)
