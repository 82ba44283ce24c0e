"""The early-warning alert page's form: acknowledging, with a note."""

from __future__ import annotations

from django import forms

from carebond.analytics.warning_actions import NOTE_MAX


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you found, or what will be done. Kept with the alert.",
        error_messages={"required": "Say what you found or what will be done."},
    )
