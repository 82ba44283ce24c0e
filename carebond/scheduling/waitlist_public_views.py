"""The patient's waitlist offer page, reached by the link in the offer's text or email: no
sign-in, phone-first, English or Spanish by the patient's language (with a switch). It names
the practice, the place and the time, says until when the offer holds, and takes the answer:
take the time, or say no (the patient stays on the list either way). An unknown link says so
and reveals nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from carebond.core.errors import CareBondError
from carebond.core.permissions import PUBLIC, page_policy
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import WaitlistOffer
from carebond.scheduling.waitlist_actions import (
    check_accept_offer,
    check_decline_offer,
    do_open_offer_page,
)
from carebond.scheduling.waitlist_selectors import find_offer, offer_state

WORDS = {
    "en": {
        "title": "A visit is free",
        "intro": "You are on the waitlist at {organization}. This visit is free:",
        "when": "When",
        "where": "Where",
        "with": "With",
        "until": "The first patient who takes it gets it. This offer holds until {until}.",
        "accept": "Take this visit",
        "decline": "No, thanks",
        "accepted": "You are booked: we will send you a reminder before the visit.",
        "declined": "You said no to this time. You stay on the waitlist.",
        "taken": "Sorry: another patient took this time. You stay on the waitlist.",
        "ended": "This offer has ended. You stay on the waitlist.",
        "not_bookable": "This time cannot be booked for you online: please call the practice.",
        "not_waiting": "You are no longer on the waitlist. To book, please call the practice.",
        "call": "Questions? Call {number}.",
        "missing": "This link is not valid.",
        "switch": "Español",
        "date": "%A %d %B at %H:%M",
        "time": "%H:%M",
    },
    "es": {
        "title": "Hay una cita libre",
        "intro": "Usted está en la lista de espera de {organization}. Esta cita está libre:",
        "when": "Cuándo",
        "where": "Dónde",
        "with": "Con",
        "until": "Es para el primer paciente que la tome. Esta oferta vale hasta las {until}.",
        "accept": "Tomar esta cita",
        "decline": "No, gracias",
        "accepted": "Su cita quedó reservada: le enviaremos un recordatorio antes de la cita.",
        "declined": "Usted dijo que no a esta hora. Sigue en la lista de espera.",
        "taken": "Lo sentimos: otro paciente tomó esta hora. Sigue en la lista de espera.",
        "ended": "Esta oferta terminó. Sigue en la lista de espera.",
        "not_bookable": "Esta hora no se puede reservar para usted en línea: llame al consultorio.",
        "not_waiting": "Usted ya no está en la lista de espera. Para pedir cita, llame al "
        "consultorio.",
        "call": "¿Preguntas? Llame al {number}.",
        "missing": "Este enlace no es válido.",
        "switch": "English",
        "date": "%d/%m/%Y a las %H:%M",
        "time": "%H:%M",
    },
}
# What an answer the offer no longer allows is told, by the refusal's code.
REFUSALS = frozenset({"accepted", "taken", "ended", "not_bookable", "not_waiting"})


def _language(request: HttpRequest, preferred: str) -> str:
    chosen = request.GET.get("lang") or preferred.split("-")[0].lower()
    return chosen if chosen in WORDS else "en"


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    found = find_offer(token)
    if found is None:
        language = _language(request, "")
        return render(
            request,
            "scheduling/waitlist/offer.html",
            {"words": WORDS[language], "language": language, "problem": WORDS[language]["missing"]},
            status=404,
        )
    language = _language(request, found.entry.patient.preferred_language)
    said = ""
    if request.method == "POST":
        said = _answer(found, request.POST.get("answer", ""))
        found = find_offer(token) or found
    else:
        do_open_offer_page(found)
    return render(request, "scheduling/waitlist/offer.html", _page(found, language, said))


def _answer(found: WaitlistOffer, answer: str) -> str:
    """Take or decline; what the page then says (empty: the offer's own state says it)."""
    try:
        if answer == "accept":
            check_accept_offer(found)
        elif answer == "decline":
            check_decline_offer(found)
    except CareBondError as refused:
        return refused.code if refused.code in REFUSALS else "ended"
    return ""


def _page(found: WaitlistOffer, language: str, said: str) -> dict[str, object]:
    words = WORDS[language]
    opening = found.opening
    zone = location_zone(opening.location)
    state = offer_state(found)
    organization = opening.location.organization
    return {
        "words": words,
        "language": language,
        "other_language": "es" if language == "en" else "en",
        "organization": organization,
        "intro": words["intro"].format(organization=organization.name),
        "when": opening.starts_at.astimezone(zone).strftime(words["date"]),
        "location": opening.location,
        "provider": opening.provider.display_name,
        "state": state,
        "until": words["until"].format(until=found.expires_at.astimezone(zone).strftime("%H:%M")),
        "outcome": words[said or state] if (said or state) != "open" else "",
        "call": words["call"].format(number=phone) if (phone := opening.location.phone) else "",
    }
