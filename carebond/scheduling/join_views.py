"""The patient's video visit page, reached by the link in their reminder: no sign-in,
phone-first, English or Spanish by the patient's language (with a switch). It names the
practice and the time, checks the camera and microphone, and opens the room from shortly before
the visit until the visit is closed. An unknown link says so and reveals nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carebond.core.permissions import PUBLIC, page_policy
from carebond.scheduling.actions import do_open_join_page
from carebond.scheduling.availability import location_zone
from carebond.scheduling.selectors import find_telehealth_visit, join_window, video_room_url

WORDS = {
    "en": {
        "title": "Your video visit",
        "with": "with",
        "when": "Your visit is on",
        "early": "The room opens at {opens}. You can check your camera and microphone now.",
        "open": "The room is open.",
        "no_video": "The practice will send you the video link: if it has not, call them.",
        "closed": "This visit has ended or was cancelled. To book again, call the practice.",
        "join": "Join the video visit",
        "check": "Check my camera and microphone",
        "checking": "Checking…",
        "ready": "Your camera and microphone work.",
        "partial": "Only part of your camera and microphone works: the visit may still go ahead.",
        "blocked": "We could not use your camera or microphone: allow them in your "
        "browser's settings.",
        "unsupported": "This browser cannot do video visits: try another, or call the practice.",
        "missing": "This link is not valid.",
        "switch": "Español",
        "date": "%A %d %B at %H:%M",
    },
    "es": {
        "title": "Su consulta por video",
        "with": "con",
        "when": "Su consulta es el",
        "early": "La sala abre a las {opens}. Ya puede probar su cámara y micrófono.",
        "open": "La sala está abierta.",
        "no_video": "El consultorio le enviará el enlace del video: si no lo recibe, llámelo.",
        "closed": "Esta consulta terminó o se canceló. Para pedir otra cita, llame al consultorio.",
        "join": "Entrar a la consulta por video",
        "check": "Probar mi cámara y micrófono",
        "checking": "Probando…",
        "ready": "Su cámara y micrófono funcionan.",
        "partial": "Solo funciona parte de su cámara o micrófono: la consulta puede seguir.",
        "blocked": "No pudimos usar su cámara o micrófono: permítalos en la configuración "
        "del navegador.",
        "unsupported": "Este navegador no permite consultas por video: pruebe otro o llame al "
        "consultorio.",
        "missing": "Este enlace no es válido.",
        "switch": "English",
        "date": "%d/%m/%Y a las %H:%M",
    },
}


def _language(request: HttpRequest, preferred: str) -> str:
    chosen = request.GET.get("lang") or preferred.split("-")[0].lower()
    return chosen if chosen in WORDS else "en"


@page_policy(PUBLIC)
@require_GET
def join(request: HttpRequest, token: str) -> HttpResponse:
    visit = find_telehealth_visit(token)
    if visit is None:
        language = _language(request, "")
        words = WORDS[language]
        return render(
            request,
            "scheduling/join.html",
            {"words": words, "language": language, "problem": words["missing"]},
            status=404,
        )
    do_open_join_page(visit)
    language = _language(request, visit.patient.preferred_language)
    words = WORDS[language]
    zone = location_zone(visit.location)
    window = join_window(visit)
    return render(
        request,
        "scheduling/join.html",
        {
            "words": words,
            "language": language,
            "other_language": "es" if language == "en" else "en",
            "organization": visit.organization,
            "when": visit.starts_at.astimezone(zone).strftime(words["date"]),
            "state": window.state,
            "opens": words["early"].format(opens=f"{window.opens_at.astimezone(zone):%H:%M}"),
            "room": video_room_url(visit) if window.state == "open" else "",
        },
    )
