"""HTML forms of the people pages. They parse; the actions validate and normalise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from carebond.people.models import (
    AdministrativeGender,
    Channel,
    ConsentMethod,
    ConsentStatus,
    HistoryCategory,
    Purpose,
    ReferralSourceType,
    RelationshipType,
)
from carebond.touchpoints.models import Direction, MomentOfTruth, TouchpointChannel, TouchpointKind


def _blank_first(choices: list[tuple[str, str]], label: str = "—") -> list[tuple[str, str]]:
    return [("", label), *choices]


class PersonPageForm(forms.Form):
    """One of the several forms on the person page. Its fields' ids start with its own prefix
    (log_channel, filter_channel, consent_channel), so no id is used twice on the page and each
    label points at its own control; field names, and so what is posted, do not change."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search people",
        max_length=100,
        min_length=2,
        widget=forms.SearchInput(
            attrs={
                "placeholder": "Name, birth date, MRN, phone or email",
                "autofocus": True,
            }
        ),
    )


class NewPatientForm(forms.Form):
    given_name = forms.CharField(max_length=100, label="Given name")
    family_name = forms.CharField(max_length=100, label="Family name")
    preferred_name = forms.CharField(
        max_length=100, required=False, help_text="What they like to be called; used everywhere."
    )
    pronouns = forms.CharField(max_length=40, required=False)
    birth_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    administrative_gender = forms.ChoiceField(
        label="Sex (administrative)",
        required=False,
        choices=_blank_first(AdministrativeGender.choices),
    )
    preferred_language = forms.CharField(
        max_length=35, required=False, help_text="A language code such as en, es or vi."
    )
    phone = forms.CharField(max_length=40, required=False)
    email = forms.CharField(max_length=254, required=False)
    mrn = forms.CharField(max_length=60, required=False, label="MRN")
    interpreter_needed = forms.BooleanField(required=False)
    large_print = forms.BooleanField(required=False)
    mobility_assistance = forms.BooleanField(required=False)


class TouchpointForm(PersonPageForm):
    id_prefix = "log"
    kind = forms.ChoiceField(choices=TouchpointKind.choices, initial=TouchpointKind.CALL)
    channel = forms.ChoiceField(
        choices=_blank_first(TouchpointChannel.choices, "Usual"), required=False
    )
    direction = forms.ChoiceField(choices=_blank_first(Direction.choices, "Usual"), required=False)
    moment_of_truth = forms.ChoiceField(
        choices=_blank_first(MomentOfTruth.choices, "Usual"),
        required=False,
    )
    occurred_at = forms.DateTimeField(
        required=False,
        label="When",
        help_text="Blank means now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
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


class TimelineFilterForm(PersonPageForm):
    id_prefix = "filter"
    kind = forms.ChoiceField(
        choices=_blank_first(TouchpointKind.choices, "All kinds"), required=False
    )
    channel = forms.ChoiceField(
        choices=_blank_first(TouchpointChannel.choices, "All channels"), required=False
    )
    staff = forms.ChoiceField(choices=[("", "All staff")], required=False)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput
    )

    def __init__(
        self, *args: object, staff_choices: Sequence[tuple[str, str]] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [("", "All staff"), *staff_choices]  # type: ignore[attr-defined]


class NoteForm(PersonPageForm):
    id_prefix = "note"
    text = forms.CharField(
        max_length=4000, label="Something to remember", widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsentForm(PersonPageForm):
    id_prefix = "consent"
    channel = forms.ChoiceField(choices=Channel.choices)
    purpose = forms.ChoiceField(choices=Purpose.choices)
    status = forms.ChoiceField(choices=ConsentStatus.choices)
    method = forms.ChoiceField(choices=ConsentMethod.choices, initial=ConsentMethod.VERBAL)
    evidence = forms.CharField(
        max_length=500, required=False, help_text="e.g. 'Said yes at check-in', form reference"
    )


class RelatedPersonForm(PersonPageForm):
    id_prefix = "related"
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    relationship = forms.ChoiceField(choices=RelationshipType.choices)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.CharField(max_length=254, required=False)
    is_emergency_contact = forms.BooleanField(required=False, label="Emergency contact")
    may_discuss_care = forms.BooleanField(
        required=False, label="Patient agrees we may discuss their care"
    )


class HistoryForm(PersonPageForm):
    id_prefix = "history"
    category = forms.ChoiceField(choices=HistoryCategory.choices)
    display = forms.CharField(max_length=300, label="Description")
    code_system = forms.CharField(
        max_length=200, required=False, help_text="e.g. http://snomed.info/sct"
    )
    code = forms.CharField(max_length=60, required=False)
    onset = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class CareTeamForm(PersonPageForm):
    id_prefix = "care_team"
    staff_name = forms.CharField(
        max_length=100, label="Staff member", help_text="Type their name; one typo is fine."
    )
    role = forms.CharField(max_length=60, help_text="e.g. Primary care physician")


class NewReferralSourceForm(forms.Form):
    source_type = forms.ChoiceField(choices=ReferralSourceType.choices, label="Type")
    organization_name = forms.CharField(
        max_length=200, required=False, help_text="For a referring organisation."
    )
    honorific = forms.CharField(max_length=40, required=False, help_text="e.g. Dr.")
    given_name = forms.CharField(max_length=100, required=False)
    family_name = forms.CharField(max_length=100, required=False)
    npi = forms.CharField(max_length=10, required=False, label="NPI")
    specialty = forms.CharField(max_length=120, required=False)
    practice_name = forms.CharField(max_length=200, required=False)
    affiliations = forms.CharField(max_length=300, required=False)
    preferred_contact = forms.ChoiceField(choices=_blank_first(Channel.choices), required=False)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.CharField(max_length=254, required=False)
    liaison = forms.ChoiceField(choices=[], required=False, help_text="Who looks after them.")

    def __init__(
        self, *args: object, liaison_choices: Sequence[tuple[str, str]] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["liaison"].choices = [("", "—"), *liaison_choices]  # type: ignore[attr-defined]


class NewStaffForm(forms.Form):
    honorific = forms.CharField(max_length=40, required=False, help_text="e.g. Dr.")
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    job_title = forms.CharField(max_length=120)
    is_clinical = forms.BooleanField(required=False, label="Clinical role")
    department = forms.ChoiceField(choices=[], required=False)
    location = forms.ChoiceField(choices=[], required=False)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.CharField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False)

    def __init__(
        self,
        *args: object,
        department_choices: Sequence[tuple[str, str]] = (),
        location_choices: Sequence[tuple[str, str]] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["department"].choices = [("", "—"), *department_choices]  # type: ignore[attr-defined]
        self.fields["location"].choices = [("", "—"), *location_choices]  # type: ignore[attr-defined]


class EditPersonForm(forms.Form):
    """The person's own details; contact points and identifiers are added separately."""

    given_name = forms.CharField(max_length=100, required=False)
    middle_name = forms.CharField(max_length=100, required=False)
    family_name = forms.CharField(max_length=100, required=False)
    preferred_name = forms.CharField(max_length=100, required=False)
    pronouns = forms.CharField(max_length=40, required=False)
    birth_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    administrative_gender = forms.ChoiceField(
        label="Sex (administrative)",
        required=False,
        choices=_blank_first(AdministrativeGender.choices),
    )
    gender_identity = forms.CharField(max_length=60, required=False)
    preferred_language = forms.CharField(max_length=35, required=False)
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        help_text="Blank means the organisation's, e.g. America/Chicago",
    )
    interpreter_needed = forms.BooleanField(required=False)
    large_print = forms.BooleanField(required=False)
    mobility_assistance = forms.BooleanField(required=False)


class ContactForm(forms.Form):
    system = forms.ChoiceField(choices=[("phone", "Phone"), ("email", "Email")])
    value = forms.CharField(max_length=254)
    use = forms.ChoiceField(
        choices=[("home", "Home"), ("mobile", "Mobile"), ("work", "Work"), ("other", "Other")]
    )
