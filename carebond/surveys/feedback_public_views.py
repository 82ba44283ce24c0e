""" "You said, we did" for everyone (no sign-in): a location's page, and the organisation's for
changes made everywhere. English or Spanish (?lang=es), with a link to switch; phone-first."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carebond.core.errors import NotFound
from carebond.core.permissions import PUBLIC, page_policy
from carebond.surveys.feedback_selectors import get_public_page

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "You said, we did",
        "lead": "What patients told us, and what we changed because of it.",
        "switch": "Español",
        "you_said": "You said",
        "we_did": "We did",
        "status": "Status",
        "planned": "Planned",
        "in_progress": "In progress",
        "done": "Done",
        "done_on": "Done on {day}",
        "figures": "Before the change, {before}% of {before_n} comments about this were "
        "unhappy; since then, {after}% of {after_n}.",
        "nothing": "Nothing is published here yet.",
        "places": "Our locations",
        "everywhere": "Changes made at every location",
        "private": "We never publish anyone's comments or anything that could identify them.",
        "missing": "This page does not exist.",
    },
    "es": {
        "title": "Usted dijo, nosotros hicimos",
        "lead": "Lo que nos dijeron los pacientes y lo que cambiamos por ello.",
        "switch": "English",
        "you_said": "Usted dijo",
        "we_did": "Nosotros hicimos",
        "status": "Estado",
        "planned": "Previsto",
        "in_progress": "En curso",
        "done": "Hecho",
        "done_on": "Hecho el {day}",
        "figures": "Antes del cambio, el {before}% de {before_n} comentarios sobre esto eran "
        "negativos; desde entonces, el {after}% de {after_n}.",
        "nothing": "Todavía no hay nada publicado aquí.",
        "places": "Nuestros centros",
        "everywhere": "Cambios en todos los centros",
        "private": "Nunca publicamos los comentarios de nadie ni nada que permita identificarle.",
        "missing": "Esta página no existe.",
    },
}


def _page(request: HttpRequest, slug: str, location_id: UUID | None) -> HttpResponse:
    language = "es" if request.GET.get("lang") == "es" else "en"
    words = WORDS[language]
    try:
        page = get_public_page(slug=slug, location_id=location_id, language=language)
    except NotFound:
        return render(
            request,
            "surveys/feedback/public_missing.html",
            {"language": language, "words": words},
            status=404,
        )
    other = "es" if language == "en" else "en"
    actions = [
        {
            "action": shown,
            "status": words[shown.status],
            "done_on": words["done_on"].format(day=shown.done_on.isoformat())
            if shown.done_on
            else "",
            "figures": words["figures"].format(
                before=round(shown.figures[0]),
                before_n=shown.figures[1],
                after=round(shown.figures[2]),
                after_n=shown.figures[3],
            )
            if shown.figures
            else "",
        }
        for shown in page.actions
    ]
    return render(
        request,
        "surveys/feedback/public.html",
        {
            "language": language,
            "other_language": other,
            "switch": f"{request.path}?lang={other}",
            "words": words,
            "page": page,
            "organization": page.organization,
            "actions": actions,
            "lang_query": "?lang=es" if language == "es" else "",
        },
    )


@page_policy(PUBLIC)
@require_GET
def organization(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, slug, None)


@page_policy(PUBLIC)
@require_GET
def location(request: HttpRequest, slug: str, location_id: UUID) -> HttpResponse:
    return _page(request, slug, location_id)
