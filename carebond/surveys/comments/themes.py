"""Themes (docs/methods.md §5.2, pipeline step 2): the keyword baseline, in English and
Spanish, multi-label per clause, with the words that put each theme there.

The taxonomy is the one the surveys issue names. Each theme has a stable key (stored, never
renamed), an English and a Spanish label, and its place in the CRM taxonomy of §5.2 and in the
NHS Patient Experience Qualitative Data Categorisation framework (QDC, as used in
pxtextmining), so that counts can be compared with, or exported to, either.

Keywords are matched on folded text (case and accents ignored) at word boundaries. Words that
name a member of staff in general ("the doctor", "la enfermera") are weak cues: a clause that
judges a member of staff and has no other theme ("the nurse was great") is about staff manner
(QDC "staff manner & personal attributes"), so it counts as courtesy and respect. "Staff praise"
is not found by keywords: it is a positive clause naming a member of staff (see staff.py).
"Other" is given to every clause when no clause of the comment has a theme.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from carebond.surveys.comments.results import Language, TextSpan
from carebond.surveys.comments.text import FoldedText


@dataclass(frozen=True)
class Theme:
    key: str
    name: str
    name_es: str
    crm_category: str
    qdc_subcategories: tuple[str, ...]


WAIT_TIME: Final = "wait_time"
ACCESS_SCHEDULING: Final = "access_scheduling"
COMMUNICATION: Final = "communication"
COURTESY_RESPECT: Final = "courtesy_respect"
BILLING_COST: Final = "billing_cost"
ENVIRONMENT: Final = "environment"
CLINICAL_CARE: Final = "clinical_care"
STAFF_PRAISE: Final = "staff_praise"
OTHER: Final = "other"

THEMES: Final[tuple[Theme, ...]] = (
    Theme(
        WAIT_TIME,
        "Wait time",
        "Tiempo de espera",
        "Access & wait time",
        ("Timeliness of care",),
    ),
    Theme(
        ACCESS_SCHEDULING,
        "Access and scheduling",
        "Acceso y citas",
        "Access & wait time; Digital (portal, phone, app); Care coordination & referrals",
        ("Appointment arrangements", "Contacting services", "Referrals & continuity of care"),
    ),
    Theme(
        COMMUNICATION,
        "Communication",
        "Comunicación",
        "Provider communication & listening; Information & education",
        (
            "Staff listening, understanding & involving patients",
            "Information directly from staff during care",
        ),
    ),
    Theme(
        COURTESY_RESPECT,
        "Courtesy and respect",
        "Cortesía y respeto",
        "Staff courtesy",
        ("Staff manner & personal attributes",),
    ),
    Theme(
        BILLING_COST,
        "Billing and cost",
        "Facturación y costos",
        "Billing & insurance",
        (),  # the NHS framework has no billing category (§5.2: new, US settings need it)
    ),
    Theme(
        ENVIRONMENT,
        "Environment",
        "Instalaciones",
        "Environment & cleanliness; Parking & transport",
        (
            "Cleanliness, tidiness & infection control",
            "Environment, facilities & equipment",
            "Parking",
            "Privacy",
        ),
    ),
    Theme(
        CLINICAL_CARE,
        "Clinical care",
        "Atención clínica",
        "Clinical outcome; Medication & pain",
        ("Care received", "Medication", "Pain management", "Diagnosis & treatment"),
    ),
    Theme(
        STAFF_PRAISE,
        "Staff praise",
        "Elogio al personal",
        "General praise / complaint",
        ("Staff manner & personal attributes",),
    ),
    Theme(OTHER, "Other", "Otro", "General praise / complaint", ("General",)),
)
THEMES_BY_KEY: Final = {theme.key: theme for theme in THEMES}

# Keywords, folded (no accents, lower case), as regex fragments matched at word boundaries.
KEYWORDS: Final[dict[str, dict[Language, tuple[str, ...]]]] = {
    WAIT_TIME: {
        "en": (
            r"wait(?:s|ed|ing)?", r"on hold", r"delay(?:s|ed)?", r"late", r"running behind",
            r"behind schedule", r"on time", r"right away", r"straight away", r"promptly?",
            r"punctual", r"took forever", r"queue", r"in and out", r"seen (?:quickly|fast|"
            r"immediately)", r"(?:minutes?|hours?) (?:past|after) (?:my|the) appointment",
        ),
        "es": (
            r"esper\w*", r"demor\w*", r"tardanza", r"tardaron", r"tardo", r"retras\w*",
            r"a tiempo", r"a la hora", r"puntual\w*", r"enseguida", r"de inmediato",
            r"(?:atencion|servicio) (?:fue |es |muy |bastante )*(?:rapid\w*|lent\w*)",
            r"(?:atendieron|atendio) (?:muy )?(?:rapido|rapidamente|pronto|tarde)",
            r"fila", r"cola",
        ),
    },
    ACCESS_SCHEDULING: {
        "en": (
            r"appointments?", r"schedul\w*", r"reschedul\w*", r"book(?:ed|ing|ings)?",
            r"cancel\w*", r"referrals?", r"referred", r"call(?:ed|s)? (?:me |us )?back",
            r"call ?backs?", r"return(?:ed)? (?:my|our) calls?", r"phones?", r"voicemails?",
            r"answer(?:s|ed)? the phone", r"(?:anyone|someone|nobody|no one|they) picked up",
            r"get through", r"portal", r"online",
            r"website", r"the app", r"after hours", r"opening hours", r"same[- ]day",
            r"walk[- ]in", r"availability", r"wait ?list", r"get (?:in|seen)", r"reach (?:anyone"
            r"|someone|the office|the clinic)",
        ),
        "es": (
            r"citas?", r"turnos?", r"agend\w*", r"reprogram\w*", r"cancel\w*", r"reserv\w*",
            r"telefono", r"llam\w*", r"contest\w*", r"buzon", r"por internet", r"en linea",
            r"portal", r"pagina web", r"aplicacion", r"horarios?", r"referencias?",
            r"derivaci\w+", r"remisi\w+", r"referid[oa]s?", r"comunicarme", r"contactar\w*",
        ),
    },
    COMMUNICATION: {
        "en": (
            r"explain\w*", r"explanations?", r"listen\w*", r"questions?", r"concerns?",
            r"inform\w*", r"told (?:me|us)", r"tell (?:me|us)", r"let (?:me|us) know",
            r"understand\w*", r"understood", r"communicat\w*", r"kept (?:me|us) (?:informed|"
            r"updated|in the loop)", r"instructions?", r"results?", r"updates?", r"talk(?:ed)? "
            r"(?:to|with) (?:me|us)", r"spoke (?:to|with) (?:me|us)", r"jargon", r"interpreters?",
            r"translators?", r"rushed", r"heard",
        ),
        "es": (
            r"explic\w*", r"escuch\w*", r"(?:me|nos|le) (?:dijo|dijeron|dice|dicen)",
            r"inform\w*", r"preguntas?", r"dudas?", r"resultados?", r"instrucciones",
            r"comunica\w*", r"avis\w*", r"(?:me|le) entend\w*", r"hablo conmigo", r"traductor\w*",
            r"interprete\w*", r"aclar\w*",
        ),
    },
    COURTESY_RESPECT: {
        "en": (
            r"rude\w*", r"kind(?!\s+of\b)\w*", r"unkind", r"friendly", r"unfriendly", r"polite\w*",
            r"impolite", r"courteous", r"discourteous", r"respect\w*", r"disrespect\w*",
            r"dignity", r"caring", r"uncaring", r"compassion\w*", r"empath\w*", r"warm(?:ly|th)?",
            r"welcom\w*", r"dismissive", r"dismissed", r"condescending", r"patroni[sz]\w*",
            r"attitude", r"manners?", r"bedside manner", r"treated (?:me|us|my \w+|him|her) "
            r"(?:like|with|as)", r"judged", r"judg(?:e)?mental", r"sarcastic", r"apolog\w*",
            r"helpful", r"unhelpful", r"professional\w*", r"unprofessional\w*", r"gentle",
            r"sweet", r"smil\w+", r"patience", r"yelled", r"ignored",
            r"bother\w*", r"made (?:me|us) feel", r"belittl\w+", r"arrogant", r"attentive",
        ),
        "es": (
            r"amabl\w*", r"amabilidad", r"groser\w*", r"descortes", r"cortes\w*", r"respet\w*",
            r"irrespetuos\w*", r"trato", r"(?:me|nos|lo|la|los|las) trat(?:o|aron|an|a)",
            r"carin\w*", r"atent[oa]s?", r"calid\w*", r"calidez", r"dignidad", r"paciencia",
            r"mala cara", r"de mala gana", r"prepotente\w*", r"indiferente\w*", r"despectiv\w*",
            r"profesional\w*", r"educad\w*", r"maleducad\w*", r"simpatic\w*", r"antipatic\w*",
            r"grit\w*", r"ignor\w*", r"burl\w*", r"humill\w*", r"(?:me|nos) hizo sentir",
            r"empati\w*", r"arrogante\w*", r"despota",
        ),
    },
    BILLING_COST: {
        "en": (
            r"bill(?:s|ed|ing)?", r"charg(?:e|es|ed|ing)", r"overcharg\w*", r"costs?", r"costly",
            r"pric\w+", r"expensive", r"cheap\w*", r"afford\w*", r"insurance", r"insurer",
            r"co-?pays?", r"payments?", r"pay(?:ing)?(?! attention)", r"paid", r"invoices?",
            r"refund\w*", r"deductible", r"out of pocket", r"fees?", r"collections",
            r"estimate", r"quoted", r"coverage", r"covered",
        ),
        "es": (
            r"factura\w*", r"cobr\w*", r"cargos?", r"costos?", r"coste", r"precios?", r"caro",
            r"caros", r"carisim\w+", r"barat\w+", r"costos\w+", r"(?:el|mi|del|al|su|un) seguro"
            r"(?: medico)?", r"aseguradora", r"pag\w+", r"copago\w*", r"deducible",
            r"reembols\w*", r"tarifa\w*", r"cuota\w*", r"de mi bolsillo", r"cobranza",
        ),
    },
    ENVIRONMENT: {
        "en": (
            r"clean\w*", r"unclean", r"dirty", r"filth\w*", r"spotless", r"tidy", r"untidy",
            r"messy", r"smell\w*", r"odou?r", r"stink\w*", r"parking", r"park", r"parked",
            r"garage", r"buildings?", r"facilit(?:y|ies)", r"bathrooms?", r"restrooms?",
            r"toilets?", r"lobby", r"chairs?", r"seating", r"seats?", r"signage",
            r"signs? (?:in|on|to|for|were|are|was|is)", r"no signs",
            r"elevators?", r"lifts?", r"wheelchair", r"ramp", r"stairs", r"noisy", r"noise",
            r"quiet", r"(?<!feel )(?<!felt )(?<!me )(?:un)?comfortable", r"crowded", r"cramped",
            r"spacious", r"cold", r"freezing", r"hot", r"temperature", r"air conditioning",
            r"heating", r"privacy", r"curtains?", r"gowns?", r"decor", r"furniture", r"wifi",
            r"tv", r"television", r"magazines", r"got lost", r"hard to find", r"easy to find",
            r"exam room",
        ),
        "es": (
            r"limpi\w+", r"suci\w+", r"mugre", r"ordenad[oa]s?", r"desordenad[oa]s?", r"olor\w*",
            r"huele", r"apesta", r"estacionamiento", r"parqueo", r"aparcamiento", r"aparcar",
            r"estacionar", r"banos?", r"sanitarios?", r"edificio", r"instalaciones", r"calor",
            r"frio", r"ruido\w*", r"silencio\w*", r"(?:in)?comod[oa]s?", r"asientos?",
            r"sillas?", r"senalizacion", r"letreros?", r"ascensor", r"elevador", r"rampa",
            r"silla de ruedas", r"privacidad", r"intimidad", r"aire acondicionado",
            r"calefaccion", r"lleno", r"llena", r"facil de encontrar", r"dificil de encontrar",
        ),
    },
    CLINICAL_CARE: {
        "en": (
            r"treatments?", r"treated (?:for|my)", r"diagnos\w+", r"misdiagnos\w+",
            r"procedures?", r"surg\w+", r"operation", r"exam(?:ination)?s?(?! room)",
            r"tests?", r"tested", r"blood(?: work| test| draw)?", r"drew (?:my )?blood", r"labs?",
            r"x-?rays?", r"scans?", r"mri", r"ultrasound", r"mammogram", r"biopsy",
            r"medications?", r"medicines?", r"meds", r"prescri\w+", r"pharmac\w+", r"doses?",
            r"dosage", r"pills?", r"injections?", r"shots?", r"vaccin\w+", r"immuni[sz]\w+",
            r"stitches", r"wounds?", r"therap\w+", r"physio\w*", r"rehab\w*", r"recover\w*",
            r"heal\w*", r"symptoms?", r"pain\w*", r"side effects?", r"care plan", r"conditions?",
            r"infections?", r"check-?ups?", r"physical", r"blood pressure", r"flu", r"scar",
            r"follow-?up visit", r"anesthe\w+", r"anaesthe\w+",
        ),
        "es": (
            r"tratamientos?", r"diagnostic\w*", r"procedimientos?", r"cirug\w+", r"ciruj\w+",
            r"operaci\w+", r"(?:me|le|la|lo) operaron", r"examen\w*", r"analisis", r"sangre",
            r"laboratorio", r"radiograf\w+", r"rayos x", r"ecograf\w+", r"ultrasonido",
            r"resonancia", r"tomograf\w+", r"medicament\w+", r"medicinas?", r"medicacion",
            r"pastillas?", r"recetas?", r"recet\w+", r"farmacia", r"dosis", r"inyecci\w+",
            r"vacun\w+", r"terapia\w*", r"fisioterap\w+", r"rehabilit\w+", r"recuper\w+",
            r"dolor\w*", r"sintomas?", r"efectos secundarios", r"resultados?", r"presion",
            r"control de \w+", r"chequeo\w*", r"curaci\w+", r"heridas?", r"mejore",
            r"anestesi\w+",
        ),
    },
}  # fmt: skip

# Words that name a member of staff in general: weak cues for courtesy and respect.
STAFF_WORDS: Final[dict[Language, tuple[str, ...]]] = {
    "en": (
        r"doctors?", r"dr", r"physicians?", r"nurses?", r"staff", r"receptionists?",
        r"front desk", r"providers?", r"assistants?", r"technicians?", r"tech", r"team",
        r"everyone", r"pharmacists?", r"np", r"pa", r"secretary", r"personnel",
    ),
    "es": (
        r"doctor\w*", r"dr", r"dra", r"medic[oa]s?", r"enfermer\w+", r"recepcionistas?",
        r"personal", r"asistentes?", r"tecnic[oa]s?", r"secretari[oa]s?",
    ),
}  # fmt: skip


def _compile(fragments: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(fragments) + r")\b")


PATTERNS: Final[dict[Language, dict[str, re.Pattern[str]]]] = {
    language: {key: _compile(by_language[language]) for key, by_language in KEYWORDS.items()}
    for language in ("en", "es")
}
STAFF_PATTERNS: Final[dict[Language, re.Pattern[str]]] = {
    language: _compile(words) for language, words in STAFF_WORDS.items()
}


def in_clause(clauses: Sequence[tuple[int, int]], start: int) -> int | None:
    """The index of the clause an offset falls in, if any (clauses are in order)."""
    index = bisect_right(clauses, (start, math.inf)) - 1
    if index >= 0 and clauses[index][0] <= start < clauses[index][1]:
        return index
    return None


def clause_themes(
    text: FoldedText, clauses: Sequence[tuple[int, int]], language: Language
) -> list[dict[str, list[TextSpan]]]:
    """For each clause, its themes (keys in taxonomy order) and the words that put each there.
    Neither staff praise (staff.py) nor "other" is given here."""
    found: list[dict[str, list[TextSpan]]] = [{} for _ in clauses]
    for key, pattern in PATTERNS[language].items():
        for start, end in text.spans(pattern):
            index = in_clause(clauses, start)
            if index is not None:
                span = TextSpan(text.original[start:end], start, end)
                found[index].setdefault(key, []).append(span)
    for start, end in text.spans(STAFF_PATTERNS[language]):
        index = in_clause(clauses, start)
        if index is not None and not found[index]:
            span = TextSpan(text.original[start:end], start, end)
            found[index][COURTESY_RESPECT] = [span]
    order = {theme.key: position for position, theme in enumerate(THEMES)}
    return [dict(sorted(themes.items(), key=lambda item: order[item[0]])) for themes in found]
