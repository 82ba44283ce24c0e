"""Safety and urgency flags: comments a manager must read whatever their sentiment (a wrong
medication, a fall, chest pain, a threat). Detection only, in English and Spanish; the app
routes them.

Patterns are matched on folded text (case and accents ignored). A flag is negation-aware where
that is safe: "I did not fall", "no chest pain", "sin caídas" raise nothing, because a
negation ("not", "never", "no", "without", "denies"; "no", "nunca", "sin", "ni", "ningún")
stands in the three words before it in the same clause. Threats of harm to oneself or to
others are never dismissed that way: "I don't want to live" is itself a negation, and a false
alarm costs a manager a minute where a miss costs far more. Common idioms are left out ("fell
asleep", "in the fall", "se me cayó el teléfono", "caída del sistema").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from carebond.surveys.comments.results import Flag, Language
from carebond.surveys.comments.text import FoldedText, merge_spans
from carebond.surveys.comments.themes import in_clause


@dataclass(frozen=True)
class FlagKind:
    key: str
    name: str
    name_es: str
    patterns: dict[Language, re.Pattern[str]]
    negatable: bool = True
    # the words before a match (folded, within its clause) that make it something else
    unless_after: re.Pattern[str] | None = None


def _patterns(english: Sequence[str], spanish: Sequence[str]) -> dict[Language, re.Pattern[str]]:
    return {
        "en": re.compile(r"\b(?:" + "|".join(english) + r")\b"),
        "es": re.compile(r"\b(?:" + "|".join(spanish) + r")\b"),
    }


_PERSON = r"(?:me|my \w+|him|her|them|us|his \w+|her \w+|a patient|another patient|patients)"
_ME_ES = r"(?:me|le|les|nos|lo|la)"

FLAG_KINDS: Final[tuple[FlagKind, ...]] = (
    FlagKind(
        "wrong_medication",
        "Wrong medication",
        "Medicamento equivocado",
        _patterns(
            (
                r"wrong (?:medication|medicine|meds|drug|prescription|pills?|tablets?|inhaler|"
                r"insulin|vaccine|injection|shot|iv|infusion)s?",
                r"(?:medication|medicine|prescription|drug|dispensing) (?:error|mistake|mix-?up)s?",
                r"(?:someone else's|another patient's|somebody else's) (?:medication|medicine|"
                r"meds|prescription|pills?)",
                r"(?:gave|given|prescribed|dispensed) (?:me |him |her |them )?(?:a |the )?"
                r"(?:medication|medicine|drug) (?:i|he|she|they) (?:am|is|are|was|were) allergic"
                r" to",
            ),
            (
                r"(?:medicamento|medicina|medicacion|receta|pastilla|vacuna|inyeccion|insulina)s?"
                r" (?:equivocad[oa]s?|incorrect[oa]s?|errone[oa]s?|que no (?:era|eran) (?:mi|"
                r"mia|mias|suya|suyas|la mia))",
                r"(?:error|equivocacion) (?:de|en la|en el|con la|con el) (?:medicacion|"
                r"medicamento|medicina|receta)",
                r"(?:el|la|los|las) (?:medicamento|medicina|receta|pastilla)s? de otr[oa] "
                r"paciente",
            ),
        ),
    ),
    FlagKind(
        "wrong_dose",
        "Wrong dose",
        "Dosis equivocada",
        _patterns(
            (
                r"wrong (?:dose|dosage|amount|strength)s?",
                r"(?:double|triple|extra) dose",
                r"overdos\w*",
                r"(?:dose|dosage) (?:was|were) (?:wrong|too high|too low|incorrect|doubled)",
                r"too (?:much|many) (?:insulin|medication|medicine|morphine|pills|tablets)",
            ),
            (
                r"dosis (?:equivocad[oa]s?|incorrect[oa]s?|doble|errone[oa]s?|excesiv[oa]s?|"
                r"demasiado alta|de mas)",
                r"sobredosis",
                r"doble dosis",
                r"(?:demasiad[oa]s?) (?:insulina|medicina|medicamento|pastillas)",
            ),
        ),
    ),
    FlagKind(
        "fall",
        "Fall",
        "Caída",
        _patterns(
            (
                r"(?<!in the )(?<!this )(?<!last )(?<!next )(?<!every )(?<!early )(?<!late )"
                r"(?:fell|fallen|falling|falls?)(?! asleep| through| apart| short| behind| in "
                r"love| into place| under| within| on deaf| out with| for it| for that| semester| "
                r"term| season| schedule| flu| vaccine| of (?:19|20)\d\d)",
                r"slipped(?! my mind| through| out)",
                r"tripped",
            ),
            (
                r"(?<!se )(?:me|se|nos) (?:cai|cayo|caimos|cayeron|caia)(?! (?:el|la|los|las|"
                r"mi|mis) (?!piso|suelo))",
                r"caidas?(?! (?:del|de) (?:cabello|pelo|sistema|pagina|servidor|red|internet|"
                r"llamada|linea))",
                r"resbal\w+",
                r"tropec\w+|tropez\w+",
                r"(?:me fui|se fue) al (?:suelo|piso)",
            ),
        ),
    ),
    FlagKind(
        "injury",
        "Injury",
        "Lesión",
        _patterns(
            (
                r"injur(?:y|ies|ed)",
                r"(?:got|get|was|were|been|getting) (?:badly |seriously )?hurt",
                rf"(?:hurt|injured|burned|burnt|cut|bruised|scratched|scalded) {_PERSON}"
                r"(?! feelings)",
                r"(?:broke|broken|fractured) (?:my|his|her|a) (?:\w+ )?(?:bone|arm|leg|hip|"
                r"wrist|rib|ankle|nose|tooth|finger|toe|shoulder)s?",
                r"left (?:me |him |her )?(?:with )?(?:a |big |bad )?(?:bruises?|burns?|cuts?)",
                r"(?:bleeding|bled) (?:badly|heavily|a lot|everywhere|for hours)",
            ),
            (
                r"(?:me|se|le|nos) lastim\w+",
                r"(?:salio|resulto|quedo|quede|sali|result[eo]) (?:herid[oa]|lastimad[oa]|"
                r"golpead[oa])",
                rf"{_ME_ES} (?:hirieron|hirio|quemaron|quemo|cortaron|corto|golpearon|golpeo)",
                r"lesion(?:es|ado|ada)?",
                r"moreton\w*|hematomas?|quemaduras?",
                r"(?:me|se|le) (?:rompi|rompio|fractur\w+)",
                r"sangr\w+ (?:mucho|sin parar|abundante\w*)",
            ),
        ),
        # the reason for the visit, not harm done: "came in for a knee injury", "por una
        # lesión de rodilla" ("left me with an injury" is still flagged)
        unless_after=re.compile(
            r"\b(?:for|about|por|tengo|tenia|tuve) (?:a |an |my |his |her |their |the |una |un |"
            r"mi |su |sus |mis )?(?:\w+ )?(?:\w+ )?$"
        ),
    ),
    FlagKind(
        "self_harm",
        "Risk of self-harm",
        "Riesgo de autolesión",
        _patterns(
            (
                r"kill(?:ing)? myself",
                r"end(?:ing)? (?:my (?:own )?life|it all)",
                r"take my (?:own )?life",
                r"suicid\w*",
                r"(?:hurt|harm|cut)(?:ing)? myself",
                r"self[- ]harm\w*",
                r"(?:don't|do not|dont|no longer|didn't|did not) want to (?:live|be alive|be here"
                r"|wake up)",
                r"better off dead",
                r"no reason to live",
                r"wish (?:i|i'd) (?:was|were|had) (?:dead|died)",
                r"want(?:ed)? to die",
            ),
            (
                r"suicid\w*",
                r"quitarme la vida",
                r"(?:matarme|me voy a matar|me quiero matar)",
                r"(?:hacerme|me hago|me hice|me voy a hacer) dano",
                r"(?:lastimarme|cortarme)",
                r"no quiero (?:vivir|seguir viviendo|despertar)",
                r"quiero morir\w*",
                r"acabar con (?:mi vida|todo)",
                r"mejor muert[oa]",
                r"no (?:vale|tiene sentido) (?:la pena )?vivir",
            ),
        ),
        negatable=False,
    ),
    FlagKind(
        "threat",
        "Threat to others",
        "Amenaza a otras personas",
        _patterns(
            (
                r"(?:kill|shoot|stab|hurt|beat up|attack|strangle|punch)(?:ing)? (?:you|him|her|"
                r"them|someone|somebody|everyone|everybody|the (?:doctor|nurse|staff|"
                r"receptionist|manager)s?|that (?:doctor|nurse|receptionist|woman|man))",
                r"(?:bring|get|have|got) (?:a|my) (?:gun|knife|weapon)",
                r"bomb",
                r"burn (?:this|the|your) (?:place|building|clinic|office) down",
                r"(?:you'll|you will|they'll|they will) (?:regret|be sorry)",
            ),
            (
                r"(?:los|las|lo|la|te|les) (?:voy a|vamos a|van a) (?:matar|golpear|lastimar|"
                r"pegar|partir la cara)",
                r"(?:voy a|vamos a) (?:matar|golpear|lastimar|pegar)(?:les|los|las|le|lo|la)?",
                r"matarl[oa]s?",
                r"(?:traer|tengo|traigo) (?:un|una|mi) (?:arma|pistola|cuchillo)",
                r"bomba",
                r"quemar (?:la|esta|su) (?:clinica|oficina|consultorio)",
                r"se van a arrepentir",
            ),
        ),
        negatable=False,
    ),
    FlagKind(
        "abuse",
        "Abuse, assault or neglect",
        "Abuso, agresión o negligencia",
        _patterns(
            (
                r"(?<!substance )(?<!drug )(?<!alcohol )abus(?:e|ed|ive|ing)",
                r"assault\w*",
                rf"(?:hit|slapped|punched|kicked|shoved|grabbed|choked|pinched|restrained) "
                rf"{_PERSON}",
                r"touched (?:me|him|her|them) inappropriately",
                r"inappropriate(?:ly)? touch\w*",
                r"sexual(?:ly)? (?:harass\w+|assault\w+|comments?|advances?|abus\w+)",
                r"harass\w+",
                r"neglect(?:ed)?",
                r"left (?:me|him|her|them) (?:lying )?in (?:my|his|her|their) own (?:urine|feces|"
                r"waste|vomit)",
            ),
            (
                r"abus(?:o|aron|o de mi|ivo|iva|ar)(?! de (?:sustancias|alcohol|drogas))",
                r"agre(?:dio|dieron|sion|sivo|siva)\w*",
                r"maltrat\w+",
                rf"{_ME_ES} (?:golpe\w+|pego|pegaron|empujo|empujaron|jalo|jalonearon|"
                r"abofete\w+|cachete\w+|zarande\w+)",
                r"(?:me|le|la|lo) toc(?:o|aron) (?:de (?:forma|manera) )?inapropiad\w+",
                r"tocamientos",
                r"acos\w+",
                r"negligencia",
                r"(?:me|lo|la|los|las) dejaron (?:tirad[oa]s? )?(?:en|con) (?:su|mi|sus|mis) "
                r"(?:orina|heces|vomito)",
            ),
        ),
    ),
    FlagKind(
        "urgent_symptom",
        "Urgent symptom",
        "Síntoma urgente",
        _patterns(
            (
                r"chest pains?",
                r"pain in (?:my|his|her|the) chest",
                r"(?:can't|cannot|cant|couldn't|could not|unable to|hard to|trouble|difficulty|"
                r"struggling to|struggled to) breath(?:e|ing)?",
                r"short(?:ness)? of breath",
                r"heart attack",
                r"stroke",
                r"seizures?",
                r"unconscious",
                r"(?:was|became|found|went) unresponsive",
                r"passed out",
                r"faint(?:ed|ing)",
                r"(?:severe|heavy|uncontrolled) bleeding",
                r"anaphyla\w+",
                r"allergic reaction",
                r"cough(?:ing|ed)? (?:up )?blood",
            ),
            (
                r"dolor (?:de|en el) pecho",
                r"dolor toracico",
                r"(?:no puedo|no podia|no pude|me cuesta|me costaba|dificultad para) respirar",
                r"falta de aire",
                r"(?:me|se) ahog\w+",
                r"infarto",
                r"ataque (?:al corazon|cardiaco)",
                r"derrame cerebral",
                r"embolia",
                r"convulsi\w+",
                r"desmay\w+",
                r"perd(?:i|io) el conocimiento",
                r"inconsciente",
                r"reaccion alergica",
                r"(?:sangrado|hemorragia) (?:abundante|fuerte|grave)",
                r"tos con sangre",
            ),
        ),
    ),
)

NEGATIONS: Final[dict[Language, frozenset[str]]] = {
    "en": frozenset(
        {"not", "no", "never", "without", "nor", "denies", "denied", "didn't", "didnt",
         "don't", "dont", "doesn't", "doesnt", "haven't", "havent", "hasn't", "hasnt",
         "hadn't", "hadnt", "wasn't", "wasnt", "weren't", "werent", "isn't", "isnt", "won't",
         "wont", "wouldn't", "wouldnt", "nothing"}
    ),
    "es": frozenset({"no", "nunca", "jamas", "sin", "ni", "ningun", "ninguna", "ninguno", "nada"}),
}  # fmt: skip
_WORDS = re.compile(r"[\w']+")


def _negated(text: FoldedText, start: int, clause_start: int, language: Language) -> bool:
    """A negation among the three words before folded offset `start`, within its clause."""
    before = _WORDS.findall(text.folded[clause_start:start])[-3:]
    return any(word in NEGATIONS[language] for word in before)


def find_flags(
    text: FoldedText, clauses: Sequence[tuple[int, int]], language: Language
) -> tuple[Flag, ...]:
    """The flags of a comment, in the order of the text."""
    folded_start = {origin: index for index, origin in reversed(list(enumerate(text.origin)))}
    flags: list[Flag] = []
    for kind in FLAG_KINDS:
        spans = []
        for match in kind.patterns[language].finditer(text.folded):
            start, end = text.to_original(match.start(), match.end())
            clause = in_clause(clauses, start)
            clause_start = folded_start.get(clauses[clause][0], 0) if clause is not None else 0
            if kind.negatable and _negated(text, match.start(), clause_start, language):
                continue
            if kind.unless_after and kind.unless_after.search(
                text.folded, clause_start, match.start()
            ):
                continue
            spans.append((start, end))
        flags += [
            Flag(kind.key, kind.name, kind.name_es, text.original[start:end], start, end)
            for start, end in merge_spans(spans)
        ]
    return tuple(sorted(flags, key=lambda flag: (flag.start, flag.key)))
