"""HTML forms of the timeline: logging a touchpoint, and filtering the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from carebond.core.dates import PAST_TIMES, RECORD_DATES
from carebond.core.forms import DateInRangeField, DateTimeInRangeField
from carebond.core.registry import touchpoint_kinds
from carebond.touchpoints.models import Direction, MomentOfTruth, TouchpointChannel, TouchpointKind


def _blank_first(choices: Sequence[tuple[str, str]], label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


def kind_choices() -> list[tuple[str, str]]:
    """Every kind an app registered, so a new app's kinds appear without touching this form."""
    return [(kind.value, kind.label) for kind in touchpoint_kinds()]


class TouchpointForm(forms.Form):
    # The quick buttons ("Log call", "Log message"...) send ``kind``; "More details" has its own
    # choice, used only when no quick button was pressed, so a default can never override one.
    kind = forms.ChoiceField(choices=kind_choices, required=False)
    detailed_kind = forms.ChoiceField(
        choices=kind_choices, initial=TouchpointKind.CALL, label="Kind", required=False
    )
    channel = forms.ChoiceField(
        choices=_blank_first(TouchpointChannel.choices, "Usual"), required=False
    )
    direction = forms.ChoiceField(choices=_blank_first(Direction.choices, "Usual"), required=False)
    moment_of_truth = forms.ChoiceField(
        choices=_blank_first(MomentOfTruth.choices, "Usual"),
        required=False,
    )
    occurred_at = DateTimeInRangeField(
        required=False, label="When", help_text="Blank means now.", date_range=PAST_TIMES
    )
    sentiment = forms.FloatField(
        required=False,
        min_value=-1.0,
        max_value=1.0,
        help_text="-1 very negative … 1 very positive",
    )
    outcome = forms.CharField(max_length=200, required=False)
    summary = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["kind"] = data.get("kind") or data.get("detailed_kind") or TouchpointKind.CALL
        return data


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=(), required=False)
    channel = forms.ChoiceField(
        choices=_blank_first(TouchpointChannel.choices, "All channels"), required=False
    )
    staff = forms.ChoiceField(choices=[("", "All staff")], required=False)
    since = DateInRangeField(required=False, label="From", date_range=RECORD_DATES)
    until = DateInRangeField(required=False, label="To", date_range=RECORD_DATES)
    page = forms.IntegerField(
        required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput
    )

    def __init__(
        self, *args: object, staff_choices: Sequence[tuple[str, str]] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = _blank_first(kind_choices(), "All kinds")  # type: ignore[attr-defined]
        self.fields["staff"].choices = [("", "All staff"), *staff_choices]  # type: ignore[attr-defined]
