"""Visit types (managers and administrators): the list, a new one, and each one's page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.scheduling.access import SCHEDULE_EDITORS
from carebond.scheduling.models import AppointmentType
from carebond.scheduling.selectors import (
    get_appointment_type,
    list_all_appointment_types,
    list_staff,
)
from carebond.scheduling.type_actions import FIELDS, check_save_appointment_type


class ReminderHoursField(forms.CharField):
    """ "72, 24" -> [72, 24] (hours before the visit)."""

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        text = super().to_python(value) or ""
        try:
            return [int(part) for part in text.replace(" ", "").split(",") if part]
        except ValueError:
            raise forms.ValidationError("Hours as whole numbers, separated by commas.") from None

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(str(h) for h in value) if isinstance(value, list) else value


class TypeForm(forms.ModelForm):  # type: ignore[type-arg]
    reminder_hours = ReminderHoursField(
        label="Reminders, hours before (empty: 72, 24)", required=False, max_length=40
    )
    providers = forms.MultipleChoiceField(
        label="Offered by (none ticked: every provider)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = AppointmentType
        fields = FIELDS  # (the ones the action writes)
        labels = {
            "name_es": "Name in Spanish (for patients)",
            "duration_minutes": "Length in minutes",
            "mode": "In person or telehealth",
            "patients": "For",
            "capacity": "Patients at once (more than 1: a group visit)",
            "min_notice_minutes": "Notice needed, in minutes",
            "not_same_day": "Not booked for the same day",
            "max_days_ahead": "Booked at most this many days ahead",
            "cancel_notice_hours": "Cancellation notice, in hours",
            "max_per_patient": "Future visits of this type a patient may hold (empty: any)",
            "online": "Patients may book it online",
            "active": "In use",
        }


@page_policy(SCHEDULE_EDITORS)
@require_http_methods(["GET", "POST"])
def types(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return _edit(request, user, None, "scheduling/types.html")


@page_policy(SCHEDULE_EDITORS)
@require_http_methods(["GET", "POST"])
def type_page(request: HttpRequest, type_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    return _edit(
        request, user, get_appointment_type(user=user, public_id=type_id), "scheduling/type.html"
    )


def _edit(
    request: HttpRequest, user: Any, appointment_type: AppointmentType | None, template: str
) -> HttpResponse:
    providers = list_staff(user=user)  # (a new provider has no week yet)
    # (no instance: the form parses; the action compares and writes)
    initial = model_to_dict(appointment_type, FIELDS) if appointment_type else {}
    form = TypeForm(request.POST or None, initial=initial)
    form.fields["providers"].choices = [  # type: ignore[attr-defined]
        (str(p.public_id), p.display_name) for p in providers
    ]
    if appointment_type is not None and not form.is_bound:
        form.initial["providers"] = [
            str(p.public_id) for p in providers if p in appointment_type.providers.all()
        ]
    if request.method == "POST" and form.is_valid():
        values = {field: form.cleaned_data[field] for field in FIELDS}
        chosen = [p for p in providers if str(p.public_id) in form.cleaned_data["providers"]]
        try:
            saved = check_save_appointment_type(
                appointment_type,
                values=values,
                providers=chosen,
                acting_user=user,
            )
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Saved: {saved.name}.")
            return redirect("scheduling:type", type_id=saved.public_id)
    return render(
        request,
        template,
        {"form": form, "type": appointment_type, "types": list_all_appointment_types(user=user)},
        status=400 if form.is_bound else 200,
    )
