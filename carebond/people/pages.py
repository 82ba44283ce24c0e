"""The person page, composed: the people app's header and side panels, and the panels other
apps registered (the timeline in the main column, others beside the people app's own).

Other apps' panels post to their own views; when such a form fails, the view shows the page
again through ``person_page()`` with its bound form, so the error appears beside its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from carebond.accounts.models import User
from carebond.core.access import signed_in_user
from carebond.core.registry import PersonPage, person_panels_for
from carebond.people.access import may_read_notes
from carebond.people.forms import (
    CareTeamForm,
    ConsentForm,
    HistoryForm,
    NoteForm,
    RelatedPersonForm,
)
from carebond.people.models import Person, PersonKind
from carebond.people.selectors import get_person_overview, group_history, list_staff_choices

CLINICAL_EDITORS = {"admin", "manager", "clinician"}
# The people app's own forms that live in the side panels (the consent form is in the header).
SIDE_PANEL_FORMS = {"note_form", "related_form", "history_form", "care_team_form"}


@dataclass(frozen=True)
class DrawnPanel:
    key: str
    title: str
    html: SafeString


def _side_panel_forms(bound_forms: Mapping[str, Any], user: User) -> dict[str, Any]:
    """The side panels' forms: fresh, or the one that failed, bound, with its errors."""
    staff = list_staff_choices(user=user)
    return {
        "note_form": bound_forms.get("note_form") or NoteForm(),
        "related_form": bound_forms.get("related_form") or RelatedPersonForm(),
        "history_form": bound_forms.get("history_form") or HistoryForm(),
        "care_team_form": bound_forms.get("care_team_form") or CareTeamForm(staff_choices=staff),
    }


def draw_panels(
    request: HttpRequest, person: Person, *, column: str, bound_forms: Mapping[str, Any]
) -> list[DrawnPanel]:
    """Every panel other apps registered for this column and the user's role, drawn."""
    user = signed_in_user(request)
    page = PersonPage(request=request, person=person, user=user, bound_forms=bound_forms)
    drawn = []
    for panel in person_panels_for(user.role, column=column):
        context = panel.context(page)
        if context is not None:
            html = render_to_string(panel.template, dict(context), request=request)
            drawn.append(DrawnPanel(panel.key, panel.title, html))
    return drawn


def side_panels_context(
    request: HttpRequest, person_id: UUID, bound_forms: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The side panels (audited: person.panels_read), the people app's and other apps'."""
    user = signed_in_user(request)
    bound_forms = bound_forms or {}
    overview = get_person_overview(user=user, public_id=person_id, with_panels=True)
    parts = overview.parts
    return {
        "overview": overview,
        "person": overview.person,
        "may_edit_history": user.role in CLINICAL_EDITORS,
        "may_read_notes": bool(parts and parts.notes),
        # notes opened by break-glass are read, not written: writing stays with the role
        "may_add_notes": may_read_notes(user),
        "may_read_history": bool(parts and parts.history),
        "history_groups": group_history(overview.person.history.all()),
        "is_patient": overview.person.kind == PersonKind.PATIENT,
        "side_panels": draw_panels(
            request, overview.person, column="side", bound_forms=bound_forms
        ),
        **_side_panel_forms(bound_forms, user),
    }


def person_page(
    request: HttpRequest,
    person_id: UUID,
    *,
    status: int = 200,
    bound_forms: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Render the person page (audited: person.read). A form that failed comes back bound,
    with its errors; when it is one of the side panels', the side panels are drawn in the page
    instead of being fetched afterwards."""
    user = signed_in_user(request)
    bound_forms = bound_forms or {}
    panels_inline = bool(SIDE_PANEL_FORMS & set(bound_forms))
    overview = get_person_overview(user=user, public_id=person_id)
    context: dict[str, Any] = {
        "overview": overview,
        "person": overview.person,
        "main_panels": draw_panels(
            request, overview.person, column="main", bound_forms=bound_forms
        ),
        "consent_form": bound_forms.get("consent_form") or ConsentForm(),
        "panels_inline": panels_inline,
    }
    if panels_inline:  # a side panel's form failed: draw the side panels in the page, bound
        side = side_panels_context(request, person_id, bound_forms)
        overview.person = side["person"]  # the header's data, with the side panels' prefetches
        context.update({**side, "overview": overview})
    return render(request, "people/person.html", context, status=status)
