""" "You said, we did" and vendor-results forms: they parse; the actions validate."""

from __future__ import annotations

from typing import Any

from django import forms

from carebond.core.dates import RECORD_DATES
from carebond.core.forms import DateInRangeField
from carebond.surveys.models import ActionStatus


def _text(label: str, limit: int, *, spanish: bool = False) -> forms.CharField:
    attrs: dict[str, Any] = {"rows": 2, "maxlength": limit}
    if spanish:
        attrs["lang"] = "es"
    return forms.CharField(
        label=label, max_length=limit, required=False, widget=forms.Textarea(attrs=attrs)
    )


class TextsForm(forms.Form):
    """The four public texts, the owner and the due date."""

    you_said_en = _text("You said (English)", 300)
    you_said_es = _text("You said (Spanish)", 300, spanish=True)
    we_did_en = _text("We did (English)", 500)
    we_did_es = _text("We did (Spanish)", 500, spanish=True)
    owner = forms.ChoiceField(label="Owner")
    due_on = DateInRangeField(label="Due", date_range=RECORD_DATES)

    def __init__(self, *args: Any, owners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owners  # type: ignore[attr-defined]

    def texts(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in TEXT_NAMES}


TEXT_NAMES = ("you_said_en", "you_said_es", "we_did_en", "we_did_es")


class ActionForm(TextsForm):
    """A new action: the theme and where, then what TextsForm asks."""

    theme = forms.ChoiceField(label="Theme")
    location = forms.ChoiceField(label="Location", required=False)

    field_order = ["theme", "location", "owner", "due_on", *TEXT_NAMES]

    def __init__(
        self,
        *args: Any,
        themes: list[tuple[str, str]],
        locations: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = themes  # type: ignore[attr-defined]
        self.fields["location"].choices = [("", "The whole organisation"), *locations]  # type: ignore[attr-defined]


class ProgressForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=ActionStatus.choices)
    evidence = forms.CharField(
        label="Evidence: what shows it was done",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )


class PublishForm(forms.Form):
    notify = forms.BooleanField(
        label="Also tell the respondents who raised this theme (messaging checks each one's "
        "consent)",
        required=False,
        initial=True,
    )


class VendorUploadForm(forms.Form):
    file = forms.FileField(
        label="The vendor's CSV file",
        help_text="Columns: survey, measure, period_start, period_end, location (optional), "
        "top_box, mean_score, n, vendor.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
