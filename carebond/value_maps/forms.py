"""Forms of the value-map pages. Rules live in actions; forms only shape the input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from carebond.core.forms import CsvFileField
from carebond.value_maps.analysis import COUNT_UNITS
from carebond.value_maps.models import Level

LEVEL_CHOICES = [("", "Choose a level…"), *Level.choices]


class StudyWordingForm(forms.Form):
    """What a study asks and how it probes: the same fields when creating and when editing."""

    title = forms.CharField(max_length=200)
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The opening question, e.g. “What matters most to you when you choose a clinic?”",
    )
    interview_guide = forms.CharField(
        label="Interview guide",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The probing questions, one per line; the interview page shows them.",
    )


class StudyForm(StudyWordingForm):
    segments = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One group per line: patients, clinicians, referral sources, staff…",
    )
    field_order = ["title", "question", "segments", "interview_guide"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["autofocus"] = True
        self.fields["interview_guide"].initial = (
            "Why is that important to you?\nWhat does that give you?\n"
            "What would happen if it were missing?"
        )

    def segment_names(self) -> list[str]:
        return [line for line in self.cleaned_data["segments"].splitlines() if line.strip()]


class EditStudyForm(StudyWordingForm):
    """The study's wording and a name field per segment (``segment_<id>``)."""

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for segment_id, name in segments:
            self.fields[f"segment_{segment_id}"] = forms.CharField(
                label=f"Segment “{name}”",
                initial=name,
                max_length=80,
                help_text="Renaming keeps its respondents and ladders.",
            )

    def segment_names(self) -> dict[int, str]:
        return {
            int(name.removeprefix("segment_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("segment_")
        }


class SegmentForm(forms.Form):
    segment = forms.CharField(label="New segment", max_length=80)


class CodeForm(forms.Form):
    label = forms.CharField(max_length=120)
    level = forms.ChoiceField(choices=LEVEL_CHOICES)
    key = forms.CharField(
        label="Short id",
        max_length=20,
        required=False,
        help_text="Optional: A1, C3… (the next free one of its level otherwise).",
    )
    definition = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    synonyms = forms.CharField(
        required=False, help_text="Other words for the same idea, separated by commas."
    )

    def synonym_list(self) -> list[str]:
        return [s for s in self.cleaned_data["synonyms"].split(",") if s.strip()]


class RenameCodeForm(forms.Form):
    code = forms.UUIDField(widget=forms.HiddenInput)
    label = forms.CharField(label="New label", max_length=120)
    key = forms.CharField(label="Short id", max_length=20)
    definition = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MergeCodesForm(forms.Form):
    merged = forms.ChoiceField(label="Merge this code")
    into = forms.ChoiceField(label="into this one")

    def __init__(self, *args: Any, code_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merged"].choices = [("", "Choose…"), *code_choices]  # type: ignore[attr-defined]
        self.fields["into"].choices = [("", "Choose…"), *code_choices]  # type: ignore[attr-defined]


class FindPersonForm(forms.Form):
    """Finds the person a new respondent is (name, birth date, MRN, phone or email)."""

    find = forms.CharField(
        label="Find the person to link (optional)",
        max_length=100,
        required=False,
        widget=forms.SearchInput(
            attrs={"placeholder": "Name, birth date, MRN, phone or email", "autofocus": True}
        ),
        help_text="First, if the respondent is one of your people; then label and segment.",
    )


class RespondentForm(forms.Form):
    label = forms.CharField(
        label="Respondent label",
        max_length=60,
        help_text="A pseudonym (P-017), never a name: analysts see only this.",
    )
    segment = forms.ChoiceField(required=False)
    person = forms.UUIDField(
        label="Linked person (optional)",
        required=False,
        help_text="Find the person above, or paste the id from the person's page address "
        "(/people/<id>/). Leave empty for an anonymous respondent.",
    )
    # The search that listed the people to choose from, kept so a refused form lists them again.
    searched_for = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: Any, segment_choices: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "No segment"), *((s, s) for s in segment_choices)]  # type: ignore[attr-defined]

    def offer_people(self, person_choices: Sequence[tuple[str, str]]) -> None:
        """Show the people a search found as the choices for the linked person."""
        if person_choices:
            person = self.fields["person"]
            person.label = "Link to"
            person.help_text = (
                "The matches of your search. Leave it on nobody for an anonymous respondent."
            )
            person.widget = forms.RadioSelect(choices=[("", "Nobody (anonymous)"), *person_choices])


class RungForm(forms.Form):
    """One rung: pick a code of the book, or name a new one (label + level)."""

    code = forms.ChoiceField(label="Code", required=False)
    new_label = forms.CharField(label="…or a new code", max_length=120, required=False)
    new_level = forms.ChoiceField(
        label="Level of the new code", choices=LEVEL_CHOICES, required=False
    )
    words = forms.CharField(
        label="The respondent's own words",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "autofocus": True}),
    )

    def __init__(self, *args: Any, code_choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [("", "Choose a code…"), *code_choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code, label, level = data.get("code"), data.get("new_label", ""), data.get("new_level")
        if code and label.strip():
            self.add_error("new_label", "Pick a code or name a new one, not both.")
        elif not code and not label.strip():
            self.add_error("code", "Pick a code, or name a new one below.")
        elif label.strip() and not level:
            self.add_error("new_level", "Choose the new code's level.")
        return data


class ImportForm(forms.Form):
    file = CsvFileField(
        help_text="Columns respondent,segment,ladder,position,code,label,level; UTF-8; "
        "at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv", "autofocus": True}),
    )


class MapForm(forms.Form):
    """The map page's settings (a GET form: works without JavaScript)."""

    cutoff = forms.IntegerField(label="Cut-off", min_value=1, max_value=10_000, required=False)
    segment = forms.ChoiceField(required=False)
    unit = forms.ChoiceField(
        label="Count each link once per",
        choices=[(unit, unit) for unit in COUNT_UNITS],
        required=False,
    )
    code = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args: Any, segment_choices: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [  # type: ignore[attr-defined]
            ("", "All respondents"),
            *((s, s) for s in segment_choices),
        ]


class CompareForm(forms.Form):
    first = forms.ChoiceField(label="Segment")
    second = forms.ChoiceField(label="compared with")
    unit = forms.ChoiceField(
        label="Count each link once per",
        choices=[(unit, unit) for unit in COUNT_UNITS],
        required=False,
    )

    def __init__(self, *args: Any, segment_choices: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(s, s) for s in segment_choices]
        self.fields["first"].choices = choices  # type: ignore[attr-defined]
        self.fields["second"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("first") and data.get("first") == data.get("second"):
            self.add_error("second", "Choose two different segments.")
        return data
