"""People pages: search, the person page (360 view), quick touchpoint logging, merge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, PermissionDenied
from carebond.core.forms import show_error
from carebond.core.permissions import MANAGERS, PHI_READERS, Role, page_policy
from carebond.core.selectors import list_departments, list_locations
from carebond.people import actions
from carebond.people.access import RECORD_KEEPERS, access_merge_record, access_person
from carebond.people.forms import (
    AddressForm,
    CareTeamForm,
    ChangeContactForm,
    ConsentForm,
    ContactForm,
    EditPersonForm,
    HistoryForm,
    NewPatientForm,
    NewReferralSourceForm,
    NewStaffForm,
    NoteForm,
    PeopleListForm,
    RelatedPersonForm,
    SearchForm,
)
from carebond.people.merge_actions import (
    check_mark_distinct,
    check_merge_people,
    check_undo_merge,
)
from carebond.people.models import Person, PersonKind
from carebond.people.pages import person_page, side_panels_context
from carebond.people.selectors import (
    count_rows_of,
    get_merge_preview,
    get_person_for_edit,
    get_staff_member,
    list_duplicate_candidates,
    list_liaisons,
    list_people,
    list_possible_duplicates,
    list_recent_merges,
    list_staff_choices,
    search_people,
)

CLINICAL_EDITORS = {"admin", "manager", "clinician"}
SEARCH_SHOWN = 50
DUPLICATE_PAIRS_SHOWN = 50
MAX_DUPLICATE_PAIRS = 1000


@page_policy(PHI_READERS)
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    """The one search box across patients, referral sources and staff; without a search, a
    list of one kind (a liaison starts with the referral sources they look after)."""
    user = signed_in_user(request)
    form = SearchForm(request.GET if "q" in request.GET else None)
    results, listing, status = None, None, 200
    if form.is_bound:
        if form.is_valid():
            results = search_people(user=user, q=form.cleaned_data["q"], limit=SEARCH_SHOWN + 1)
        else:
            status = 400
    defaults = (
        {"kind": PersonKind.REFERRAL_SOURCE, "mine": "on"}
        if user.role == Role.LIAISON
        else {"kind": PersonKind.PATIENT}
    )
    list_form = PeopleListForm(request.GET if "kind" in request.GET else defaults)
    if not form.is_bound and list_form.is_valid():
        data = list_form.cleaned_data
        listing = list_people(
            user=user,
            kind=data["kind"] or PersonKind.PATIENT,
            sort=data["sort"] or "recent",
            page=data["page"] or 1,
            mine=data["mine"],
        )
    elif not form.is_bound:
        status = 400
    listed = list_form.cleaned_data if listing is not None else {}
    query = urlencode(
        {
            "kind": listed.get("kind") or PersonKind.PATIENT,
            "sort": listed.get("sort") or "recent",
            **({"mine": "on"} if listed.get("mine") else {}),
        }
    )
    context = {
        "form": form,
        "results": results[:SEARCH_SHOWN] if results is not None else None,
        "results_cut": results is not None and len(results) > SEARCH_SHOWN,
        "list_form": list_form,
        "listing": listing,
        "query": query,
        "may_import": MANAGERS.allows(user.role),
    }
    return render(request, "people/search.html", context, status=status)


@page_policy(PHI_READERS)
@require_http_methods(["GET", "POST"])
def new_patient(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = NewPatientForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            contacts = [actions.ContactInput("phone", data["phone"])] if data["phone"] else []
            if data["email"]:
                contacts.append(actions.ContactInput("email", data["email"]))
            identifiers = (
                [actions.IdentifierInput(actions.MRN_SYSTEM, data["mrn"], "MR", "MRN")]
                if data["mrn"]
                else []
            )
            person_input = actions.PersonInput(
                kind=PersonKind.PATIENT,
                contacts=contacts,
                identifiers=identifiers,
                **{
                    k: data[k]
                    for k in (
                        "given_name",
                        "family_name",
                        "preferred_name",
                        "pronouns",
                        "birth_date",
                        "administrative_gender",
                        "preferred_language",
                        "interpreter_needed",
                        "large_print",
                        "mobility_assistance",
                    )
                },
            )
            warnings = [] if data["confirmed"] else _registration_warnings(user, data)
            if warnings:
                form.fields["confirmed"].widget = forms.CheckboxInput()
                return render(
                    request,
                    "people/new_patient.html",
                    {"form": form, "warnings": warnings},
                    status=409,
                )
            try:
                person = actions.check_create_person(
                    user.organization, person_input, acting_user=user
                )
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                messages.success(request, f"{person.display_name} is registered.")
                return redirect("people:detail", person_id=person.public_id)
        else:
            status = 400
    return render(request, "people/new_patient.html", {"form": form}, status=status)


@dataclass(frozen=True)
class RegistrationWarning:
    text: str
    matches: list[Person]


OLDEST_LIKELY_AGE = 110


def _registration_warnings(user: User, data: dict[str, Any]) -> list[RegistrationWarning]:
    """What the desk should check before registering: someone already here who may be this
    patient (a second record splits their history), or a birth year that is likely a typo."""
    warnings = []
    matches = list_possible_duplicates(
        user=user,
        given_name=data["given_name"],
        family_name=data["family_name"],
        birth_date=data["birth_date"],
        phone=data["phone"],
    )
    if matches:
        warnings.append(
            RegistrationWarning(
                "This patient may already be registered: open the record below instead, or "
                "confirm that this is a different person.",
                matches,
            )
        )
    born = data["birth_date"]
    if born is not None and (clock.now().date().year - born.year) > OLDEST_LIKELY_AGE:
        warnings.append(
            RegistrationWarning(
                f"Born in {born.year}: that makes them over {OLDEST_LIKELY_AGE}. Check the year.",
                [],
            )
        )
    return warnings


def _contacts(data: dict[str, Any]) -> list[actions.ContactInput]:
    contacts = [actions.ContactInput("phone", data["phone"], "work")] if data["phone"] else []
    if data["email"]:
        contacts.append(actions.ContactInput("email", data["email"], "work"))
    return contacts


def _create_or_error(
    request: HttpRequest, form: Any, person_input: actions.PersonInput
) -> tuple[HttpResponse | None, int]:
    """Create through the action; on a refused value, put the message beside its field."""
    user = signed_in_user(request)
    try:
        person = actions.check_create_person(user.organization, person_input, acting_user=user)
    except CareBondError as error:
        show_error(form, error)
        return None, error.status
    messages.success(request, f"{person.display_name} is registered.")
    return redirect("people:detail", person_id=person.public_id), 302


@page_policy(PHI_READERS)
@require_http_methods(["GET", "POST"])
def new_referral_source(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    liaisons = {str(u.public_id): u for u in list_liaisons(user=user)}
    form = NewReferralSourceForm(
        request.POST or None,
        liaison_choices=[(pid, u.display_name) for pid, u in liaisons.items()],
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            person_input = actions.PersonInput(
                kind=PersonKind.REFERRAL_SOURCE,
                prefix=data["honorific"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                organization_name=data["organization_name"],
                contacts=_contacts(data),
                identifiers=[actions.IdentifierInput(actions.NPI_SYSTEM, data["npi"], "NPI", "NPI")]
                if data["npi"]
                else [],
                referral=actions.ReferralInput(
                    source_type=data["source_type"],
                    npi=data["npi"],
                    specialty=data["specialty"],
                    practice_name=data["practice_name"],
                    affiliations=data["affiliations"],
                    preferred_contact=data["preferred_contact"],
                    liaison=liaisons.get(data["liaison"]),
                ),
            )
            response, status = _create_or_error(request, form, person_input)
            if response is not None:
                return response
        else:
            status = 400
    return render(
        request,
        "people/new_person.html",
        {"form": form, "title": "Add a referral source"},
        status=status,
    )


@page_policy(MANAGERS)
@require_http_methods(["GET", "POST"])
def new_staff(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    departments = {str(d.public_id): d for d in list_departments(user=user)}
    locations = {str(loc.public_id): loc for loc in list_locations(user=user)}
    form = NewStaffForm(
        request.POST or None,
        department_choices=[(pid, d.name) for pid, d in departments.items()],
        location_choices=[(pid, loc.name) for pid, loc in locations.items()],
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            person_input = actions.PersonInput(
                kind=PersonKind.STAFF,
                prefix=data["honorific"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                contacts=_contacts(data),
                staff=actions.StaffInput(
                    job_title=data["job_title"],
                    is_clinical=data["is_clinical"],
                    department=departments.get(data["department"]),
                    location=locations.get(data["location"]),
                    start_date=data["start_date"],
                ),
            )
            response, status = _create_or_error(request, form, person_input)
            if response is not None:
                return response
        else:
            status = 400
    return render(
        request,
        "people/new_person.html",
        {"form": form, "title": "Add a staff member"},
        status=status,
    )


def _edit_page(
    request: HttpRequest, person: Person, *, status: int = 200, **bound: Any
) -> HttpResponse:
    """The edit page: the person's own details, each phone, email and address with its own
    form (change or remove), and forms to add one. A form that failed comes back bound."""
    initial = {name: getattr(person, name) for name in EditPersonForm.base_fields}
    contacts = [
        (
            f"{point.get_system_display()} {point.value}",
            bound.get(f"contact:{point.system}:{point.value}")
            or ChangeContactForm(
                initial={
                    "system": point.system,
                    "old_value": point.value,
                    "value": point.value,
                    "use": point.use,
                },
                auto_id=f"contact{n}_%s",
            ),
        )
        for n, point in enumerate(person.contact_points.all())
    ]
    addresses = [
        (
            address.rank,
            bound.get(f"address:{address.rank}")
            or AddressForm(initial=_address_fields(address), auto_id=f"address{address.rank}_%s"),
        )
        for address in person.addresses.all()
    ]
    context = {
        "person": person,
        "form": bound.get("form") or EditPersonForm(initial=initial),
        "contact_form": bound.get("contact_form") or ContactForm(auto_id="new_contact_%s"),
        "contacts": contacts,
        "addresses": addresses,
        "address_form": bound.get("address_form") or AddressForm(auto_id="new_address_%s"),
    }
    return render(request, "people/edit_person.html", context, status=status)


def _address_fields(address: Any) -> dict[str, Any]:
    fields = {
        name: getattr(address, name) for name in AddressForm.base_fields if name != "line1_was"
    }
    return {**fields, "line1_was": address.line1}


@page_policy(PHI_READERS)
@require_http_methods(["GET", "POST"])
def edit_person(request: HttpRequest, person_id: UUID) -> HttpResponse:
    """Change a person's own details and add phones or emails. Audited: person.updated."""
    user = signed_in_user(request)
    if request.method == "GET":
        return _edit_page(request, get_person_for_edit(user=user, public_id=person_id))
    person = access_person(user, person_id)
    if "add_contact" in request.POST:
        form: Any = ContactForm(request.POST, auto_id="new_contact_%s")
        name = "contact_form"
    else:
        form = EditPersonForm(request.POST)
        name = "form"
    if not form.is_valid():
        return _edit_page(request, person, status=400, **{name: form})
    try:
        if name == "form":
            actions.check_update_person(person, form.cleaned_data, acting_user=user)
        else:
            actions.check_add_contact_point(
                person, actions.ContactInput(**form.cleaned_data), acting_user=user
            )
    except CareBondError as error:
        aliases = {"phone": "value", "email": "value"} if name == "contact_form" else {}
        show_error(form, error, aliases=aliases)
        return _edit_page(request, person, status=error.status, **{name: form})
    messages.success(request, "Saved.")
    return redirect("people:detail", person_id=person.public_id)


@page_policy(PHI_READERS)
@require_POST
def change_contact(request: HttpRequest, person_id: UUID) -> HttpResponse:
    """Replace a phone or email (press Save) or take it off the record (press Remove)."""
    user = signed_in_user(request)
    person = access_person(user, person_id)
    form = ChangeContactForm(request.POST)
    key = f"contact:{request.POST.get('system', '')}:{request.POST.get('old_value', '')}"
    if not form.is_valid():
        return _edit_page(request, person, status=400, **{key: form})
    data = form.cleaned_data
    try:
        if "remove" in request.POST:
            actions.check_remove_contact_point(
                person, system=data["system"], value=data["old_value"], acting_user=user
            )
            message = f"{data['old_value']} is removed."
        else:
            actions.check_change_contact_point(
                person,
                system=data["system"],
                old_value=data["old_value"],
                contact=actions.ContactInput(data["system"], data["value"], data["use"] or "home"),
                acting_user=user,
            )
            message = "Saved."
    except CareBondError as error:
        show_error(form, error, aliases={"phone": "value", "email": "value"})
        return _edit_page(request, person, status=error.status, **{key: form})
    messages.success(request, message)
    return redirect("people:edit", person_id=person.public_id)


@page_policy(PHI_READERS)
@require_POST
def change_address(request: HttpRequest, person_id: UUID, rank: int) -> HttpResponse:
    """Add an address (rank 0), change one (Save) or take it off the record (Remove)."""
    user = signed_in_user(request)
    person = access_person(user, person_id)
    key = f"address:{rank}" if rank else "address_form"
    if "remove" in request.POST:
        try:
            actions.check_remove_address(
                person, rank=rank, line1_was=request.POST.get("line1_was", ""), acting_user=user
            )
        except CareBondError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The address is removed.")
        return redirect("people:edit", person_id=person.public_id)
    form = AddressForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, person, status=400, **{key: form})
    fields = {**form.cleaned_data, "use": form.cleaned_data["use"] or "home"}
    line1_was = fields.pop("line1_was")
    address = actions.AddressInput(**fields)
    try:
        if rank:
            actions.check_change_address(
                person, rank=rank, line1_was=line1_was, address=address, acting_user=user
            )
        else:
            actions.check_add_address(person, address, acting_user=user)
    except CareBondError as error:
        show_error(form, error)
        return _edit_page(request, person, status=error.status, **{key: form})
    messages.success(request, "Saved.")
    return redirect("people:edit", person_id=person.public_id)


@page_policy(PHI_READERS)
@require_GET
def person_panels(request: HttpRequest, person_id: UUID) -> HttpResponse:
    """The person page's side panels: fetched by the page, or opened on their own without JS."""
    template = (
        "people/person_panels.html" if request.GET.get("fragment") else "people/panels_page.html"
    )
    return render(request, template, side_panels_context(request, person_id))


@page_policy(PHI_READERS)
@require_GET
def person(request: HttpRequest, person_id: UUID) -> HttpResponse:
    return person_page(request, person_id)


def _failed(
    request: HttpRequest,
    person_id: UUID,
    form_name: str,
    form: Any,
    error: CareBondError | None = None,
) -> HttpResponse:
    if error is not None:
        show_error(form, error)
    status = error.status if error is not None else 400
    return person_page(request, person_id, status=status, bound_forms={form_name: form})


def _post_to_panel(
    request: HttpRequest,
    person_id: UUID,
    form_name: str,
    form: Any,
    write: Callable[[User, Person, dict[str, Any]], str],
) -> HttpResponse:
    """One shape for every form on the person page: check the form, call the action, and either
    show the page again with the error beside its field or say what was done."""
    user = signed_in_user(request)
    person = access_person(user, person_id)
    if not form.is_valid():
        return _failed(request, person_id, form_name, form)
    try:
        done = write(user, person, form.cleaned_data)
    except CareBondError as error:
        return _failed(request, person_id, form_name, form, error)
    messages.success(request, done)
    return redirect("people:detail", person_id=person.public_id)


@page_policy(PHI_READERS)
@require_POST
def add_note(request: HttpRequest, person_id: UUID) -> HttpResponse:
    def write(user: User, person: Person, data: dict[str, Any]) -> str:
        actions.check_add_personal_note(person, text=data["text"], acting_user=user)
        return "Note saved."

    return _post_to_panel(request, person_id, "note_form", NoteForm(request.POST), write)


@page_policy(PHI_READERS)
@require_POST
def record_consent(request: HttpRequest, person_id: UUID) -> HttpResponse:
    def write(user: User, person: Person, data: dict[str, Any]) -> str:
        actions.check_record_consent(person, acting_user=user, **data)
        return "Contact preference recorded."

    return _post_to_panel(request, person_id, "consent_form", ConsentForm(request.POST), write)


@page_policy(PHI_READERS)
@require_POST
def add_related(request: HttpRequest, person_id: UUID) -> HttpResponse:
    def write(user: User, person: Person, data: dict[str, Any]) -> str:
        contacts = [actions.ContactInput("phone", data["phone"])] if data["phone"] else []
        if data["email"]:
            contacts.append(actions.ContactInput("email", data["email"]))
        actions.check_add_related_person(
            person,
            actions.PersonInput(
                kind=PersonKind.RELATED,
                given_name=data["given_name"],
                family_name=data["family_name"],
                contacts=contacts,
            ),
            relationship=data["relationship"],
            is_emergency_contact=data["is_emergency_contact"],
            may_discuss_care=data["may_discuss_care"],
            acting_user=user,
        )
        return f"{data['given_name']} {data['family_name']} added."

    return _post_to_panel(
        request, person_id, "related_form", RelatedPersonForm(request.POST), write
    )


@page_policy(PHI_READERS)
@require_POST
def add_history(request: HttpRequest, person_id: UUID) -> HttpResponse:
    """Clinicians (and managers, administrators) keep the history summary."""
    if signed_in_user(request).role not in CLINICAL_EDITORS:
        raise PermissionDenied("Only clinicians edit the medical history.")

    def write(user: User, person: Person, data: dict[str, Any]) -> str:
        actions.check_add_history_item(person, acting_user=user, **data)
        return "History updated."

    return _post_to_panel(request, person_id, "history_form", HistoryForm(request.POST), write)


@page_policy(PHI_READERS)
@require_POST
def add_care_team(request: HttpRequest, person_id: UUID) -> HttpResponse:
    def write(user: User, person: Person, data: dict[str, Any]) -> str:
        member = get_staff_member(user=user, public_id=data["staff"])
        actions.check_add_care_team_member(person, member, role=data["role"], acting_user=user)
        return f"{member.display_name} joined the care team."

    choices = list_staff_choices(user=signed_in_user(request))
    form = CareTeamForm(request.POST, staff_choices=choices)
    return _post_to_panel(request, person_id, "care_team_form", form, write)


@page_policy(RECORD_KEEPERS)
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """The most alike pairs first; the first 50 unless the user asks for all (up to 1,000)."""
    user = signed_in_user(request)
    candidates = list_duplicate_candidates(user=user, limit=MAX_DUPLICATE_PAIRS)
    shown = candidates if request.GET.get("all") == "1" else candidates[:DUPLICATE_PAIRS_SHOWN]
    return render(
        request,
        "people/duplicates.html",
        {
            "candidates": shown,
            "candidate_total": len(candidates),
            "hidden_pairs": len(candidates) - len(shown),
            "merges": list_recent_merges(user=user),
        },
    )


@page_policy(RECORD_KEEPERS)
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, first_id: UUID, second_id: UUID) -> HttpResponse:
    """Side by side; the user picks the record that survives, everything else moves to it."""
    user = signed_in_user(request)
    if request.method == "POST":
        survivor_id = request.POST.get("survivor", "")
        if survivor_id not in (str(first_id), str(second_id)):
            messages.error(request, "Choose which record to keep.")
        else:
            other_id = second_id if survivor_id == str(first_id) else first_id
            survivor = access_person(user, survivor_id)
            record = check_merge_people(survivor, access_person(user, other_id), acting_user=user)
            messages.success(
                request,
                f"Merged into {survivor.display_name}. You can undo this "
                "from the duplicates page for 30 days.",
            )
            return redirect("people:detail", person_id=record.survivor.public_id)
    first, second = get_merge_preview(user=user, first_id=first_id, second_id=second_id)
    return render(
        request,
        "people/merge.html",
        {
            "first": first,
            "second": second,
            "first_counts": count_rows_of(first.person),
            "second_counts": count_rows_of(second.person),
        },
        status=400 if request.method == "POST" else 200,
    )


@page_policy(RECORD_KEEPERS)
@require_POST
def mark_distinct(request: HttpRequest, first_id: UUID, second_id: UUID) -> HttpResponse:
    """ "Not the same person": the pair leaves the duplicates list for good."""
    user = signed_in_user(request)
    first, second = access_person(user, first_id), access_person(user, second_id)
    check_mark_distinct(first, second, acting_user=user)
    messages.success(
        request,
        f"{first.display_name} and {second.display_name} are two people; "
        "they will not be offered as duplicates again.",
    )
    return redirect("people:duplicates")


@page_policy(RECORD_KEEPERS)
@require_POST
def undo_merge(request: HttpRequest, merge_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    record = check_undo_merge(access_merge_record(user, merge_id), acting_user=user)
    messages.success(request, f"The merge of {record.merged.display_name} is undone.")
    return redirect("people:duplicates")
