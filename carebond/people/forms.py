"""HTML forms of the people pages. They parse; the actions validate and normalise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from carebond.core.dates import BIRTH_DATES, PAST_DATES, RECORD_DATES
from carebond.core.forms import DateInRangeField
from carebond.people.models import (
    AdministrativeGender,
    Channel,
    ConsentMethod,
    ConsentStatus,
    HistoryCategory,
    PersonKind,
    Purpose,
    ReferralSourceType,
    RelationshipType,
)


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


class PeopleListForm(forms.Form):
    """The People page without a search: a list of one kind, sorted, a page at a time."""

    kind = forms.ChoiceField(choices=PersonKind.choices, required=False)
    sort = forms.ChoiceField(
        choices=[("recent", "Recently changed"), ("name", "Name"), ("born", "Birth date")],
        required=False,
    )
    mine = forms.BooleanField(required=False, label="Only those I look after")
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


class NewPatientForm(forms.Form):
    given_name = forms.CharField(max_length=100, label="Given name")
    family_name = forms.CharField(max_length=100, label="Family name")
    preferred_name = forms.CharField(
        max_length=100, required=False, help_text="What they like to be called; used everywhere."
    )
    pronouns = forms.CharField(max_length=40, required=False)
    birth_date = DateInRangeField(required=False, date_range=BIRTH_DATES)
    administrative_gender = forms.ChoiceField(
        label="Sex (administrative)",
        required=False,
        choices=_blank_first(AdministrativeGender.choices),
    )
    preferred_language = forms.CharField(
        max_length=35,
        required=False,
        help_text="The language's name (Spanish, Tiếng Việt) or its code (es, vi).",
    )
    phone = forms.CharField(max_length=40, required=False)
    email = forms.CharField(max_length=254, required=False)
    mrn = forms.CharField(max_length=60, required=False, label="MRN")
    interpreter_needed = forms.BooleanField(required=False)
    large_print = forms.BooleanField(required=False)
    mobility_assistance = forms.BooleanField(required=False)
    # Shown only after a warning (a possible duplicate, an unlikely age): the person at the
    # desk confirms they checked, and the patient is registered anyway.
    confirmed = forms.BooleanField(
        required=False, label="I checked: register this patient anyway", widget=forms.HiddenInput
    )


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
    onset = DateInRangeField(required=False, date_range=PAST_DATES)


class CareTeamForm(PersonPageForm):
    """A member of the care team is chosen from the organisation's staff, never typed."""

    id_prefix = "care_team"
    staff = forms.ChoiceField(label="Staff member", choices=())
    role = forms.CharField(max_length=60, help_text="e.g. Primary care physician")

    def __init__(
        self, *args: object, staff_choices: Sequence[tuple[str, str]] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [("", "Choose a staff member"), *staff_choices]  # type: ignore[attr-defined]


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
    start_date = DateInRangeField(required=False, date_range=RECORD_DATES)
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
    birth_date = DateInRangeField(required=False, date_range=BIRTH_DATES)
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


class ChangeContactForm(forms.Form):
    """One phone or email already on the record: a new value (and use), or removed."""

    system = forms.ChoiceField(
        choices=[("phone", "Phone"), ("email", "Email")], widget=forms.HiddenInput
    )
    old_value = forms.CharField(max_length=254, widget=forms.HiddenInput)
    value = forms.CharField(max_length=254, required=False)
    use = forms.ChoiceField(
        choices=[("home", "Home"), ("mobile", "Mobile"), ("work", "Work"), ("other", "Other")],
        required=False,
    )


class AddressForm(forms.Form):
    # The street the page showed, so a change never lands on another address (blank: new).
    line1_was = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    line1 = forms.CharField(max_length=200, label="Street")
    line2 = forms.CharField(max_length=200, required=False, label="Street, second line")
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=100, required=False, label="State or region")
    postal_code = forms.CharField(max_length=20, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="Two letters, e.g. US.")
    use = forms.ChoiceField(
        choices=[("home", "Home"), ("work", "Work"), ("other", "Other")], required=False
    )
