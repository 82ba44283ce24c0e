"""The survey pages' forms: they parse; the actions validate."""

from __future__ import annotations

from typing import Any

from django import forms

from carebond.core.dates import RECORD_DATES
from carebond.core.forms import DateInRangeField
from carebond.surveys.definitions import ITEM_TYPES, MEASURES, OPERATORS, SCALES
from carebond.surveys.models import InstrumentKind, RecoveryOutcome, Trigger
from carebond.surveys.recovery_actions import CONTACT_CHANNELS

LANGUAGES = [("en", "English"), ("es", "Spanish")]
KINDS = {
    "scale": "Scale (Likert)",
    "rating": "0-10 rating",
    "yes_no": "Yes or no",
    "choice": "One choice",
    "choices": "Several choices",
    "text": "Free text (a comment)",
}
SCALE_NAMES = {
    "frequency4": "Never / Sometimes / Usually / Always",
    "agree5": "Strongly disagree … Strongly agree",
    "accuracy7": "Very inaccurate … Very accurate (7)",
    "yes3": "No / Yes, somewhat / Yes, definitely",
}


class InstrumentForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    kind = forms.ChoiceField(label="For", choices=InstrumentKind.choices)
    anonymous = forms.BooleanField(
        label="Anonymous (answers kept with no link to the person)", required=False
    )
    languages = forms.MultipleChoiceField(
        label="Languages",
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        initial=["en", "es"],
    )
    fallback_language = forms.ChoiceField(label="Shown to anyone else in", choices=LANGUAGES)


class SectionForm(forms.Form):
    key = forms.CharField(label="Section id (letters, digits, _)", max_length=40)
    title_en = forms.CharField(label="Title in English", max_length=500, required=False)
    title_es = forms.CharField(label="Title in Spanish", max_length=500, required=False)


class ItemForm(forms.Form):
    section = forms.ChoiceField(label="Section")
    link_id = forms.CharField(
        label="Question id (letters, digits, _; an existing id replaces that question)",
        max_length=60,
    )
    kind = forms.ChoiceField(label="Kind", choices=[(k, KINDS[k]) for k in ITEM_TYPES])
    scale = forms.ChoiceField(
        label="Scale (for a scale question)",
        choices=[("", "—")] + [(k, SCALE_NAMES[k]) for k in SCALES],
        required=False,
    )
    text_en = forms.CharField(label="Question in English", max_length=500, required=False)
    text_es = forms.CharField(label="Question in Spanish", max_length=500, required=False)
    options = forms.CharField(
        label="Options, one per line: code | English | Spanish (for choices)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    required = forms.BooleanField(label="An answer is required", required=False)
    measure = forms.ChoiceField(
        label="Feeds the score",
        choices=[(m, m.replace("_", " ") or "—") for m in MEASURES],
        required=False,
    )
    composite = forms.CharField(
        label="Composite (group of questions)", max_length=40, required=False
    )
    reverse = forms.BooleanField(label="Reverse-scored", required=False)
    when_question = forms.ChoiceField(label="Show only when question", required=False)
    when_operator = forms.ChoiceField(
        label="is", choices=[("", "—")] + [(o, o) for o in OPERATORS], required=False
    )
    when_value = forms.CharField(label="the answer (a number, yes/no or a code)", required=False)

    def option_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for line in (self.cleaned_data.get("options") or "").splitlines():
            parts = [part.strip() for part in line.split("|")]
            if parts and parts[0]:
                rows.append(
                    (
                        parts[0],
                        parts[1] if len(parts) > 1 else "",
                        parts[2] if len(parts) > 2 else "",
                    )
                )
        return rows

    def condition(self) -> dict[str, Any] | None:
        question = self.cleaned_data.get("when_question")
        if not question:
            return None
        raw = (self.cleaned_data.get("when_value") or "").strip()
        operator = self.cleaned_data.get("when_operator") or "="
        value: Any = raw
        if operator == "in":
            value = [
                int(v) if v.strip().lstrip("-").isdigit() else v.strip() for v in raw.split(",")
            ]
        elif raw.lstrip("-").isdigit():
            value = int(raw)
        return {"link_id": question, "operator": operator, "value": value}


class RuleForm(forms.Form):
    instrument = forms.ChoiceField(label="Survey")
    trigger = forms.ChoiceField(label="When", choices=Trigger.choices)
    delay_hours = forms.IntegerField(
        label="Hours after the event", min_value=0, max_value=720, initial=2
    )
    every_weeks = forms.IntegerField(
        label="Every N weeks (staff pulse)", min_value=1, max_value=52, initial=4
    )
    department = forms.ChoiceField(
        label="Department (staff pulse; empty: everyone)", required=False
    )
    remind_after_days = forms.IntegerField(
        label="Remind non-responders after N days", min_value=1, max_value=30, initial=3
    )
    open_days = forms.IntegerField(
        label="Link open for N days", min_value=1, max_value=90, initial=14
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(
        label="How", choices=[(c, c.replace("_", " ").capitalize()) for c in CONTACT_CHANNELS]
    )
    note = forms.CharField(
        label="What was said", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class NoteForm(forms.Form):
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=RecoveryOutcome.choices)
    note = forms.CharField(
        label="Closing note",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    send_follow_up = forms.BooleanField(
        label="Ask them afterwards whether it was put right (a short survey)",
        required=False,
        initial=True,
    )


class GrievanceForm(forms.Form):
    received_on = DateInRangeField(label="Received on", date_range=RECORD_DATES)
    contact = forms.CharField(
        label="Contact person for the patient", max_length=200, required=False
    )


class WrittenResponseForm(forms.Form):
    text = forms.CharField(
        label="Written response (steps taken, results, contact person, date)",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=8000,
    )
    contact = forms.CharField(label="Contact person named in it", max_length=200)
    sent_on = DateInRangeField(label="Sent on", date_range=RECORD_DATES)


class ComplaintForm(forms.Form):
    text = forms.CharField(
        label="What the patient said", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    location = forms.ChoiceField(label="Location", required=False)
    written = forms.BooleanField(
        label="Written, and asks for resolution (a grievance)", required=False
    )
