"""The kiosk: the front desk starts it for a location on the waiting room's tablet; patients
check themselves in there (no sign-in; English or Spanish, with a switch). The page clears
itself a few seconds after each check-in, so the next patient never sees the last one's name."""

from __future__ import annotations

from django import forms
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, NotFound
from carebond.core.ids import uuid_or_none
from carebond.core.permissions import PUBLIC, page_policy
from carebond.scheduling.access import DESK
from carebond.scheduling.kiosk_actions import check_kiosk_check_in, kiosk_location, kiosk_token
from carebond.scheduling.selectors import get_location

WORDS = {
    "en": {
        "title": "Check in for your visit",
        "intro": "Type your date of birth and the first letters of your last name.",
        "born": "Date of birth",
        "family": "First letters of your last name",
        "button": "Check in",
        "done": "Thank you, {name}. You are checked in for {time} with {provider}. "
        "Please take a seat.",
        "see_desk": "We could not check you in here. Please see the front desk.",
        "problem": "Please check what you typed.",
        "invalid": "This kiosk link is not valid: ask the front desk.",
        "next": "Next patient",
        "switch": "Español",
    },
    "es": {
        "title": "Registre su llegada",
        "intro": "Escriba su fecha de nacimiento y las primeras letras de su apellido.",
        "born": "Fecha de nacimiento",
        "family": "Primeras letras de su apellido",
        "button": "Registrar llegada",
        "done": "Gracias, {name}. Su llegada quedó registrada para las {time} con {provider}. "
        "Por favor, tome asiento.",
        "see_desk": "No pudimos registrar su llegada aquí. Por favor, acérquese a la recepción.",
        "problem": "Revise lo que escribió.",
        "invalid": "Este enlace del quiosco no es válido: pregunte en la recepción.",
        "next": "Siguiente paciente",
        "switch": "English",
    },
}


class KioskForm(forms.Form):
    birth_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    family_start = forms.CharField(max_length=40)


@page_policy(DESK)
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """The desk starts the kiosk for a location on this device (the tablet in the waiting room):
    the staff member is signed out on it first, so the patients' tablet holds no staff session."""
    user = signed_in_user(request)
    location = get_location(user=user, public_id=uuid_or_none(request.POST.get("location")))
    logout(request)
    return redirect(reverse("visits:kiosk", args=[kiosk_token(location)]))


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, token: str) -> HttpResponse:
    asked = request.GET.get("lang", "en")
    language = asked if asked in WORDS else "en"
    words = WORDS[language]
    context = {"words": words, "language": language, "token": token, "form": KioskForm()}
    try:
        location = kiosk_location(token)
    except NotFound:
        return render(
            request, "scheduling/kiosk.html", context | {"problem": words["invalid"]}, status=404
        )
    context["location"] = location
    if request.user.is_authenticated:  # (a staff session on the patients' tablet: never)
        logout(request)
    if request.method == "GET":
        return render(request, "scheduling/kiosk.html", context)
    form = KioskForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(
            request, "scheduling/kiosk.html", context | {"problem": words["problem"]}, status=400
        )
    try:
        found = check_kiosk_check_in(
            location,
            birth_date=form.cleaned_data["birth_date"],
            family_start=form.cleaned_data["family_start"],
        )
    except CareBondError:
        return render(
            request, "scheduling/kiosk.html", context | {"problem": words["problem"]}, status=400
        )
    if found is None:  # (the form empty again: the next person never sees this one's answers)
        return render(
            request,
            "scheduling/kiosk.html",
            context | {"problem": words["see_desk"], "form": KioskForm()},
        )
    done = words["done"].format(name=found.first_name, time=found.starts, provider=found.provider)
    return render(request, "scheduling/kiosk.html", context | {"done": done})
