"""The Spanish lexicon: valences on VADER's scale (-4 to +4) for Spanish words and healthcare
phrases, read offline by carebond.surveys.comments.spanish (no translation).

Words are written with their accents and folded when loaded, so "grosera", "GROSERA" and
"grosera" typed without accents read the same. "grosero/a" stands for the four forms (grosero,
grosera, groseros, groseras); other words get their plural ("amable", "amables"). The valences
follow VADER's for the English equivalents where it has one ("amable" ~ "kind" 2.4 less a
little, "grosero" ~ "rude" -2.0, "pésimo" ~ "worst" -3.1), and the phrase families mirror the
English override (english_lexicon): not listening, expected things nobody did, waits by their
length, billing errors.
"""

from __future__ import annotations

import re
from typing import Final

from carebond.surveys.comments.overrides import PhraseRule, rule, time_valence
from carebond.surveys.comments.text import DURATION, duration_minutes, fold_word

_WORDS: Final[dict[str, float]] = {
    # manner
    "amable": 2.2, "amabilidad": 2.0, "atento/a": 1.9, "cariñoso/a": 2.2, "cariño": 2.0,
    "paciencia": 1.5, "respetuoso/a": 2.0, "respeto": 1.5, "profesional": 1.5,
    "profesionalismo": 1.6, "cálido/a": 1.5, "calidez": 1.8, "humano/a": 1.0,
    "humanidad": 1.5, "simpático/a": 1.8, "educado/a": 1.5, "dedicado/a": 1.5,
    "dedicación": 1.6, "empatía": 1.8, "empático/a": 1.8, "grosero/a": -2.2,
    "grosería": -2.2, "maleducado/a": -2.1, "descortés": -2.0, "irrespetuoso/a": -2.1,
    "prepotente": -2.0, "antipático/a": -1.8, "desagradable": -2.0, "indiferente": -1.5,
    "déspota": -2.2, "arrogante": -2.2, "despectivo/a": -2.0, "humillado/a": -2.2,
    "humillante": -2.4, "maltrato": -2.5, "gritó": -1.8, "gritos": -1.8, "burla": -2.0,
    # care and competence
    "excelente": 2.7, "excelencia": 2.5, "bueno/a": 1.9, "buen": 1.9, "bien": 1.5,
    "mejor": 2.0, "genial": 2.6, "maravilloso/a": 2.7, "fantástico/a": 2.6,
    "estupendo/a": 2.5, "perfecto/a": 2.5, "increíble": 2.2, "eficiente": 1.8,
    "eficaz": 1.6, "competente": 1.4, "capacitado/a": 1.4, "claro/a": 1.2,
    "claramente": 1.3, "resolvió": 1.4, "funcionó": 1.5, "mejoré": 1.6, "alivio": 1.5,
    "éxito": 2.0, "malo/a": -2.0, "mal": -1.8, "pésimo/a": -3.0, "horrible": -2.6,
    "terrible": -2.4, "fatal": -2.4, "peor": -2.3, "desastre": -2.6, "pesadilla": -2.7,
    "error": -1.6, "errores": -1.6, "equivocado/a": -1.8, "equivocación": -1.8,
    "incorrecto/a": -1.5, "negligencia": -2.6, "negligente": -2.5, "descuido": -1.7,
    "incompetente": -2.1, "inútil": -1.8, "problema": -1.5, "peligroso/a": -2.0,
    "dolor": -1.8, "dolores": -1.8, "doloroso/a": -1.9, "sufrí": -2.0, "sufrimiento": -2.2,
    # feelings
    "gracias": 1.9, "agradecido/a": 2.0, "agradezco": 2.0, "agradecimiento": 1.8,
    "contento/a": 2.0, "feliz": 2.4, "felices": 2.4, "satisfecho/a": 1.9,
    "encantado/a": 2.3, "encantó": 2.3, "recomiendo": 1.6, "recomendable": 1.6,
    "confianza": 1.5, "tranquilo/a": 1.2, "queja": -1.5,
    "molesto/a": -1.6, "molestia": -1.3, "enojado/a": -2.0, "enfadado/a": -2.0,
    "furioso/a": -2.5, "frustrado/a": -2.0, "frustrante": -2.0, "decepcionado/a": -2.1,
    "decepción": -2.1, "decepcionante": -2.1, "insatisfecho/a": -1.9, "triste": -1.8,
    "preocupado/a": -1.2, "miedo": -1.5, "lamentable": -2.0, "vergüenza": -1.8,
    "injusto/a": -2.0, "abandonado/a": -2.0, "ignorado/a": -1.6,
    # organisation, time, access
    "rápido/a": 1.0, "rápidamente": 1.0, "rapidez": 1.2, "puntual": 1.5,
    "puntualidad": 1.5, "fácil": 1.3, "sencillo/a": 1.0, "organizado/a": 1.2,
    "lento/a": -1.2, "lentitud": -1.3, "tardanza": -1.2, "demora": -1.2, "retraso": -1.2,
    "imposible": -1.5, "difícil": -1.0, "complicado/a": -1.2, "confuso/a": -1.0,
    "desorganizado/a": -1.3, "desorganización": -1.4, "desorden": -1.2, "caos": -1.8,
    "caótico/a": -1.8,
    # premises
    "limpio/a": 1.7, "ordenado/a": 1.0, "cómodo/a": 1.8, "agradable": 2.0,
    "impecable": 2.2, "sucio/a": -1.9, "suciedad": -1.9, "mugre": -2.0,
    "asqueroso/a": -2.6, "incómodo/a": -1.6, "ruidoso/a": -1.0, "ruido": -0.8,
    "calor": -0.8, "frío": -0.6,
    # cost
    "caro": -1.2, "caros": -1.2, "costoso/a": -1.2, "carísimo/a": -1.8, "barato/a": 0.8,
    "económico/a": 0.8,
}  # fmt: skip


def _forms(entry: str) -> list[str]:
    if entry.endswith("o/a"):
        stem = entry[:-3]
        return [stem + "o", stem + "a", stem + "os", stem + "as"]
    if entry[-1] in "aeiouáéíóú":
        return [entry, entry + "s"]
    return [entry]


LEXICON: Final[dict[str, float]] = {
    fold_word(form): valence for entry, valence in _WORDS.items() for form in _forms(entry)
}

# VADER's constants (docs/methods.md §5.1), applied the same way.
BOOST: Final = 0.293
NEGATION_SCALAR: Final = -0.74
CAPS_BOOST: Final = 0.733
BOOSTERS: Final = frozenset(
    fold_word(word)
    for word in (
        "muy", "mucho", "mucha", "muchos", "muchas", "muchísimo", "muchísima", "bastante",
        "demasiado", "demasiada", "súper", "super", "tan", "tanto", "tanta", "sumamente",
        "extremadamente", "realmente", "verdaderamente", "increíblemente", "totalmente",
        "completamente", "absolutamente", "especialmente", "sobre todo", "re", "requete",
    )
)  # fmt: skip
DAMPENERS: Final = frozenset(
    fold_word(word) for word in ("algo", "poquito", "ligeramente", "medio", "casi", "apenas")
)
NEGATORS: Final = frozenset(
    fold_word(word)
    for word in ("no", "nunca", "jamás", "nadie", "ni", "ningún", "ninguna", "ninguno",
                 "nada", "tampoco", "sin", "poco", "poca")
)  # fmt: skip
CONTRASTS: Final = ("pero", "sin embargo")

_NO = r"(?:no|nunca|jamas)"
_PRONOUN = r"(?:(?:me|nos|le|les|lo|la|los|las|se)\s+)?"
_QUANTITY = (
    r"(?:(?:mas de|casi|como|cerca de|alrededor de|por|durante|al menos|solo|apenas|menos de|"
    r"mas o menos|aproximadamente|unas|unos|otra|otras)\s+)*"
)
_WAIT = (
    r"(?:esper\w*|(?:me|nos) tuvieron esperando|en espera|tardaron|tardo|tardan|demoraron|"
    r"demoro|demoran|llevo|llevamos|llevaba)"
)
_EXPECTED = (
    r"(?:avisaron|aviso|avisan|avisa|llamaron|llamo|llaman|llama|devolvieron|devolvio|"
    r"devuelven|devuelve|contestaron|contesto|contestan|contesta|contestaba|explicaron|explico|"
    r"explican|explica|informaron|informo|informan|informa|atendieron|atendio|atienden|atiende|"
    r"revisaron|reviso|respondieron|respondio|responden|responde|ayudaron|ayudo|ayudan|ayuda|"
    r"dijo|dijeron|dice|dicen|dio|dieron|vino|vinieron|saludo|saludaron|disculpo|"
    r"disculparon)"
)


def _wait(match: re.Match[str]) -> float | None:
    return time_valence(duration_minutes(match))


PHRASES: Final[tuple[PhraseRule, ...]] = (
    # "No pudo ser mejor": a negated comparative is the highest praise.
    rule(
        "no_pudo_ser_mejor",
        r"\bno (?:pudo|podia|podria|puede) (?:haber )?(?:sido|ser|estar|haber estado) mejor\b"
        r"|\bno (?:se )?(?:puede|podia|podria|pude|pudimos) pedir (?:nada )?mas\b"
        r"|\bno (?:hay|habia|podria haber) (?:nada|nadie) mejor\b",
        2.5,
    ),
    # Not listening, not being taken seriously.
    rule(
        "no_escucha",
        rf"\b(?:{_NO}|nadie)\s+{_PRONOUN}(?:\w+\s+)?(?:escuch\w*|hizo caso|hicieron caso|hacen "
        r"caso|hace caso|presto atencion|prestaron atencion)\b",
        -2.5,
    ),
    rule(
        "no_en_serio",
        rf"\b(?:{_NO}|nadie)\s+{_PRONOUN}(?:\w+\s+)?(?:tomo|tomaron|toma|toman|tomaban) en serio"
        r"\b|\b(?:me|nos) (?:ignoro|ignoraron|ignoran|ignora)\b",
        -2.3,
    ),
    rule(
        "hizo_sentir",
        r"\b(?:me|nos) (?:hizo|hicieron|hacen|hace) sentir (?:como )?(?:\w+\s+)?(?:ignorad\w+|"
        r"humillad\w+|tont\w+|invisible|un numero|una molestia|juzgad\w+|menos)\b",
        -2.0,
    ),
    # Expected things nobody did: "nadie me avisó", "nunca contestan".
    rule("nadie_hizo", rf"\bnadie\s+{_PRONOUN}(?:\w+\s+)?{_EXPECTED}\b", -2.0),
    rule("no_hicieron", rf"\b{_NO}\s+{_PRONOUN}(?:\w+\s+)?{_EXPECTED}\b", -2.0),
    rule(
        "sin_aviso",
        r"\bsin (?:avisar\w*|aviso|previo aviso|explicar\w*|(?:ninguna |una )?explicacion\w*|"
        r"decir nada|informar\w*)\b",
        -1.8,
    ),
    rule(
        "no_pude_contactar",
        rf"\b{_NO}\s+(?:\w+\s+)?(?:pude|pudimos|puedo|podia|logre|logro|hay manera de|hay forma"
        r" de)\s+(?:\w+\s+)?(?:comunicar\w*|contactar\w*|hablar con (?:nadie|alguien)|conseguir "
        r"(?:una )?cita|sacar (?:una )?cita|agendar\w*)\b",
        -2.0,
    ),
    rule(
        "no_vuelvo",
        rf"\b{_NO}\s+(?:\w+\s+){{0,2}}?(?:vuelvo|volvere|volveria|regreso|regresare|regresaria|"
        r"volver|regresar)\b|\bbuscar (?:otro|otra) (?:medico|doctor|doctora|clinica|consultorio"
        r")\b",
        -2.0,
    ),
    # Waits on the day and delays, valued by their length (overrides.wait_valence).
    rule(
        "espera_corta",
        r"\b(?:sin esperar|sin espera|no (?:tuve|tuvimos|hubo|hay) que esperar|(?:poca|corta|"
        r"breve|minima) espera|(?:espera|demora) (?:fue|es|era|estuvo) (?:muy |bastante )?"
        r"(?:corta|breve|poca|minima|razonable)|casi no (?:espere|esperamos|tuve que esperar))\b",
        1.5,
    ),
    rule(
        "atencion_puntual",
        r"\b(?:me|nos|la|lo|los|las)\s+(?:atendieron|atendio|atienden|atiende|recibieron|recibio"
        r"|pasaron|paso)\s+(?:\w+\s+)?(?:a tiempo|a la hora|puntual\w*|enseguida|de inmediato|"
        r"inmediatamente|rapido|rapidamente|pronto|sin demora)\b|\b(?:empezo|comenzo|fue|fueron"
        r"|llego|llegaron|estuvo) (?:\w+ )?a tiempo\b",
        1.5,
    ),
    rule(
        "espera_duracion",
        rf"\b{_WAIT}\b(?:\s+(?!pero\b|y\b)\w+){{0,4}}?\s+{_QUANTITY}{DURATION}",
        valence_of=_wait,
    ),
    rule(
        "espera_duracion",
        rf"\b{_QUANTITY}{DURATION}\s+(?:de\s+)?(?:espera|retraso|demora|tarde|esperando)\b",
        valence_of=_wait,
    ),
    rule(
        "espera_larga",
        r"\b(?:larga|largas|eterna|eternas|mucha|demasiada|tanta)\s+(?:espera|esperas|demora|"
        r"tardanza)\b|\b(?:espera|demora|tardanza|tiempo de espera)\s+(?:fue|es|era|estuvo|son|"
        r"fueron)\s+(?:muy\s+|demasiado\s+|super\s+|bastante\s+)?(?:larg\w*|eterna|excesiv\w*|"
        r"interminable)|\besper\w*\s+(?:\w+\s+)?(?:mucho|muchisimo|demasiado|una eternidad|"
        r"horas y horas|siglos)\b",
        -1.8,
    ),
    rule(
        "llego_tarde",
        r"\b(?:llego|llegaron|empezo|empezaron|atendieron|atendio|iba|van|va|vamos)\s+(?:\w+\s+)?"
        r"tarde\b|\bcon retraso\b",
        -1.2,
    ),
    # Care shown.
    rule(
        "dedico_tiempo",
        r"\b(?:se tomo|se tomaron|dedico|dedicaron|me dedico|me dedicaron)\s+(?:\w+\s+)?(?:el |"
        r"su |mucho |todo el |suficiente )?tiempo\b",
        1.8,
    ),
    rule(
        "resolvio_dudas",
        r"\b(?:resolvio|resolvieron|resuelve|resuelven|aclaro|aclararon|aclara|contesto|"
        r"contestaron|contesta|respondio|respondieron|responde)\s+(?:todas\s+)?(?:mis\s+|nuestras"
        r"\s+|las\s+|cada una de mis\s+)?(?:dudas|preguntas|inquietudes)\b",
        1.6,
    ),
    rule(
        "escucho",
        r"\b(?:me|nos)\s+(?:escucho|escucharon|escucha|escuchan)\b|\bescuch\w+ con (?:atencion|"
        r"paciencia|calma)\b",
        1.5,
    ),
    rule(
        "explico",
        r"\b(?:me|nos)\s+(?:lo\s+|la\s+|los\s+|las\s+)?(?:explico|explicaron|explica|explican)\b",
        1.2,
    ),
    # Billing.
    rule(
        "error_cobro",
        r"\bcobr\w+\s+(?:\w+\s+)?(?:de mas|dos veces|doble|por error|indebidamente)\b|\b(?:cobro|"
        r"cargo|cobros|cargos)\s+(?:doble|duplicad\w+|indebid\w+|excesiv\w+|injustificad\w+|de "
        r"mas)\b|\berror(?:es)? (?:en|de) (?:la |mi )?(?:factura|facturacion|cobro|cuenta)\b|\b"
        r"factura(?:s|cion)? (?:equivocad\w+|incorrect\w+|erronea\w*)\b|\b(?:el |mi )?seguro "
        r"(?:rechazo|nego|denego)\b|\b(?:me|nos) (?:mandaron|enviaron) a cobranza\b",
        -2.0,
    ),
    # Manner.
    rule(
        "falta_de",
        r"\bfalta de (?:respeto|educacion|higiene|limpieza|informacion|comunicacion|atencion|"
        r"empatia|personal|profesionalismo|seriedad|organizacion|interes|tacto)\b",
        -2.0,
    ),
    rule("trato_humano", r"\b(?:calor|trato) humano\b", 2.0),
)
