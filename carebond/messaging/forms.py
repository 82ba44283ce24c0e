"""Forms of the inbox and the template editor: they parse; the actions validate."""

from __future__ import annotations

import uuid

from django import forms

from carebond.messaging.models import ConversationStatus
from carebond.messaging.segments import AGE_BANDS


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", widget=forms.Textarea(attrs={"rows": 3}), max_length=1600
    )
    secure = forms.BooleanField(
        label="Send as a secure message (they confirm their birth date to read it)",
        required=False,
        help_text="For results, diagnoses, medications: the text or email carries only a link.",
    )
    # One key per form shown: pressing Send twice queues one reply.
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Private note (never sent)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class LinkForm(forms.Form):
    person = forms.UUIDField(widget=forms.HiddenInput)


class FindPersonForm(forms.Form):
    find = forms.CharField(label="Find the person (name, phone, email or date of birth)")


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Assigned to", required=False)

    def __init__(self, *args: object, people: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["assignee"].choices = [("", "Nobody"), *people]  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ConversationStatus.choices)
    until = forms.DateTimeField(
        label="Snooze until",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(max_length=200, required=False)
    body_text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 6}))
    body_html = forms.CharField(
        label="HTML (emails)", widget=forms.Textarea(attrs={"rows": 6}), required=False
    )


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Staff see it; recipients never do.")
    template = forms.ChoiceField(label="Message", help_text="Sent in each person's language.")
    no_visit_months = forms.IntegerField(
        label="Last visit more than … months ago",
        required=False,
        min_value=1,
        max_value=120,
        help_text="Leave empty for everyone.",
    )
    language = forms.ChoiceField(
        label="Preferred language",
        required=False,
        choices=[("", "Any"), ("en", "English"), ("es", "Spanish")],
    )
    age_band = forms.ChoiceField(
        label="Age",
        required=False,
        choices=[("", "Any"), *[(band, band) for band in AGE_BANDS]],
    )
    link = forms.CharField(
        label="Link for {{ link }}",
        required=False,
        max_length=200,
        help_text="An https:// address on your own website (no public link shorteners).",
    )

    def __init__(self, *args: object, templates: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template"].choices = templates  # type: ignore[attr-defined]


class LaunchForm(forms.Form):
    start_at = forms.DateTimeField(
        label="Start sending at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty to start now. Each person still gets it only in their daytime.",
    )


class OfficeHoursForm(forms.Form):
    hours = forms.CharField(
        label="Office hours",
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        max_length=2000,
        help_text="One line per day: Mon 08:00-12:00, 13:00-17:00. Days not listed are closed. "
        "Leave empty for always open.",
    )
    closures = forms.CharField(
        label="Closed days",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="One per line: 2026-12-25 Christmas Day.",
    )


class CapacityForm(forms.Form):
    """One number per colleague who answers the inbox."""

    def __init__(
        self, *args: object, colleagues: list[tuple[int, str, int]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for pk, name, capacity in colleagues:
            self.fields[f"user_{pk}"] = forms.IntegerField(
                label=name, min_value=0, max_value=200, initial=capacity, required=False
            )

    def capacities(self) -> dict[int, int]:
        """The numbers given (a field left empty keeps what it was)."""
        return {
            int(name.removeprefix("user_")): value
            for name, value in self.cleaned_data.items()
            if value is not None
        }
