"""Forms of the break-glass pages. They parse; the actions validate."""

from __future__ import annotations

from django import forms

from carebond.privacy.models import BreakGlassReason, Review


class BreakGlassForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why do you need access?",
        choices=BreakGlassReason.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    explanation = forms.CharField(
        label="What is happening",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="In a sentence; a privacy officer reads it when reviewing this access.",
    )


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Was this access appropriate?",
        choices=[(Review.APPROPRIATE, "Appropriate"), (Review.NOT_APPROPRIATE, "Not appropriate")],
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when not appropriate: it stays with the flag.",
    )
