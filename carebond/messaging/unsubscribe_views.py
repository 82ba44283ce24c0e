"""The public unsubscribe page: no sign-in, phone-first, in the person's language (English or
Spanish). GET asks; POST unsubscribes, from the page's button or a mail client's RFC 8058
one-click POST (which carries no CSRF token: the signed link is the credential)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from carebond.core.errors import InvalidInput
from carebond.core.permissions import PUBLIC, page_policy
from carebond.messaging.actions import merge_values
from carebond.messaging.unsubscribe_actions import do_unsubscribe
from carebond.messaging.unsubscribe_links import read_token

WORDS = {
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop {what} emails from {org}?",
        "button": "Unsubscribe",
        "done": "Done: you will get no more {what} emails from {org}.",
        "already": "You are already unsubscribed from {what} emails from {org}.",
        "others": "Other messages are not affected. To change your mind, call {phone}.",
        "bad": "This link has expired or is not valid. To stop our emails, reply to one of "
        "them or call the practice.",
        "switch": "Español",
    },
    "es": {
        "title": "Cancelar la suscripción",
        "ask": "¿Dejar de recibir correos de {what} de {org}?",
        "button": "Cancelar la suscripción",
        "done": "Listo: no recibirá más correos de {what} de {org}.",
        "already": "Ya no recibe correos de {what} de {org}.",
        "others": "Los demás mensajes no cambian. Si cambia de opinión, llame al {phone}.",
        "bad": "Este enlace caducó o no es válido. Para dejar de recibir correos, responda a "
        "uno de ellos o llame al consultorio.",
        "switch": "English",
    },
}
WHAT = {
    "en": {
        "appointment": "appointment reminder",
        "care": "care",
        "survey": "survey",
        "marketing": "news and recall",
        "work": "work",
    },
    "es": {
        "appointment": "recordatorios de citas",
        "care": "atención",
        "survey": "encuestas",
        "marketing": "novedades y revisiones",
        "work": "trabajo",
    },
}


def _language(request: HttpRequest, preferred: str) -> str:
    chosen = request.GET.get("lang") or preferred.split("-")[0].lower()
    return chosen if chosen in WORDS else "en"


@csrf_exempt
@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = read_token(token)
    except InvalidInput:
        language = _language(request, "")
        return render(
            request,
            "messaging/unsubscribe.html",
            {"words": WORDS[language], "language": language, "message": WORDS[language]["bad"]},
            status=400,
        )
    person = found.person
    language = _language(request, person.preferred_language)
    words = WORDS[language]
    values = merge_values(person, language=language, extra={})
    fill = {
        "what": WHAT[language][found.purpose],
        "org": person.organization.name,
        "phone": values["call_back_number"] or person.organization.name,
    }
    state = "ask"
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        state = "done" if do_unsubscribe(found, one_click=one_click) else "already"
    elif found.already:
        state = "already"
    return render(
        request,
        "messaging/unsubscribe.html",
        {
            "words": words,
            "language": language,
            "other_language": "es" if language == "en" else "en",
            "message": words[state].format(**fill),
            "others": words["others"].format(**fill),
            "ask": state == "ask",
        },
    )
