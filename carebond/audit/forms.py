from __future__ import annotations

from django import forms

from carebond.audit.models import Outcome
from carebond.core.dates import RECORD_DATES
from carebond.core.forms import DateInRangeField, DateSpanForm


class AuditFilterForm(DateSpanForm):
    action = forms.CharField(
        required=False, max_length=80, help_text="Starts with, e.g. 'auth.' or 'user.created'."
    )
    actor = forms.CharField(required=False, max_length=150, label="User")
    target_type = forms.CharField(required=False, max_length=80, label="Object type")
    patient = forms.CharField(
        required=False,
        max_length=100,
        label="Patient",
        help_text="A name, MRN or birth date: events about every patient it finds.",
    )
    patient_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(required=False, choices=[("", "Any"), *Outcome.choices])
    since = DateInRangeField(required=False, label="From", date_range=RECORD_DATES)
    until = DateInRangeField(required=False, label="To", date_range=RECORD_DATES)
