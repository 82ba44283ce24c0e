"""The public page of a secure reply: no sign-in, phone-first, English or Spanish by the
person's language. It asks the birth date, then shows the words; it reveals nothing before."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from carebond.core.errors import CareBondError
from carebond.core.permissions import PUBLIC, page_policy
from carebond.messaging.secure_note_actions import check_open_secure_note
from carebond.messaging.selectors import find_secure_note

WORDS = {
    "en": {
        "title": "A message from your care team",
        "ask": "To read it, confirm your date of birth.",
        "label": "Your date of birth",
        "button": "Read the message",
        "missing": "This link is not valid.",
        "switch": "Español",
    },
    "es": {
        "title": "Un mensaje de su equipo de atención",
        "ask": "Para leerlo, confirme su fecha de nacimiento.",
        "label": "Su fecha de nacimiento",
        "button": "Leer el mensaje",
        "missing": "Este enlace no es válido.",
        "switch": "English",
    },
}
# The actions' reasons, in Spanish too.
SPANISH = {
    "That date does not match our records.": "Esa fecha no coincide con nuestros registros.",
    "This link is locked after too many tries.": "Este enlace se bloqueó tras demasiados intentos.",
    "This link has expired.": "Este enlace caducó.",
}


class BirthDateForm(forms.Form):
    birth_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


def _language(request: HttpRequest, preferred: str) -> str:
    chosen = request.GET.get("lang") or preferred.split("-")[0].lower()
    return chosen if chosen in WORDS else "en"


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def secure_note(request: HttpRequest, note_id: UUID) -> HttpResponse:
    note = find_secure_note(note_id)
    if note is None:
        unknown = _language(request, "")
        return render(
            request,
            "messaging/secure_note.html",
            {"words": WORDS[unknown], "language": unknown, "problem": WORDS[unknown]["missing"]},
            status=404,
        )
    language = _language(request, note.person.preferred_language)
    words = WORDS[language]
    form = BirthDateForm(request.POST or None)
    form.fields["birth_date"].label = words["label"]
    context: dict[str, object] = {
        "words": words,
        "language": language,
        "other_language": "es" if language == "en" else "en",
        "organization": note.organization,
        "form": form,
    }
    if request.method == "POST" and form.is_valid():
        birth_date: date = form.cleaned_data["birth_date"]
        try:
            opened = check_open_secure_note(note, birth_date=birth_date)
        except CareBondError as error:
            problem = (
                SPANISH.get(error.message, error.message) if language == "es" else error.message
            )
            context["problem"] = problem
            return render(request, "messaging/secure_note.html", context, status=error.status)
        context["body"] = opened.body
    return render(
        request,
        "messaging/secure_note.html",
        context,
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )
