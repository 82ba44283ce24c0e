"""The words of the public survey pages, in English and Spanish."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "switch": "Español",
        "part": "Part {n} of {total}",
        "next": "Save and continue",
        "back": "Back",
        "send": "Send my answers",
        "later": "Your answers are saved as you go: you can close this page and come back with "
        "the same link until {day}.",
        "later_anonymous": "Your answers so far are kept with your link until you send them. "
        "Once sent, they are stored with no link to you, and results for groups of fewer than "
        "{k} people are never shown.",
        "anonymous": "This survey is anonymous.",
        "required": "required",
        "skip": "You may skip any question that is not marked required.",
        "thanks_title": "Thank you",
        "thanks": "Your answers were sent. Thank you for taking the time.",
        "answered": "You already answered this survey. Thank you.",
        "expired": "This survey has closed. Thank you for your interest.",
        "missing": "This link is not valid. Please check the link in your message.",
        "problem": "Please check the answers marked below.",
        "low": "0",
        "high": "10",
        "yes": "Yes",
        "no": "No",
        "counted": "A survey counts as answered once it is sent; answers saved but not sent are "
        "counted as partial.",
    },
    "es": {
        "switch": "English",
        "part": "Parte {n} de {total}",
        "next": "Guardar y continuar",
        "back": "Atrás",
        "send": "Enviar mis respuestas",
        "later": "Sus respuestas se guardan mientras avanza: puede cerrar esta página y volver "
        "con el mismo enlace hasta el {day}.",
        "later_anonymous": "Sus respuestas se guardan con su enlace hasta que las envíe. Una vez "
        "enviadas, se guardan sin ningún vínculo con usted, y nunca se muestran resultados de "
        "grupos de menos de {k} personas.",
        "anonymous": "Esta encuesta es anónima.",
        "required": "obligatoria",
        "skip": "Puede omitir cualquier pregunta que no esté marcada como obligatoria.",
        "thanks_title": "Gracias",
        "thanks": "Sus respuestas fueron enviadas. Gracias por su tiempo.",
        "answered": "Ya respondió esta encuesta. Gracias.",
        "expired": "Esta encuesta ya cerró. Gracias por su interés.",
        "missing": "Este enlace no es válido. Revise el enlace de su mensaje.",
        "problem": "Revise las respuestas marcadas abajo.",
        "low": "0",
        "high": "10",
        "yes": "Sí",
        "no": "No",
        "counted": "Una encuesta cuenta como respondida cuando se envía; las respuestas guardadas "
        "sin enviar cuentan como parciales.",
    },
}

# What a respondent reads when an answer is refused, by the action's error code.
ANSWER_ERRORS: dict[str, dict[str, str]] = {
    "en": {
        "answer_required": "Please answer this question.",
        "answer_choose": "Please choose one of the answers.",
        "answer_range": "Please choose a number from the scale.",
        "answer_too_long": "Please keep your answer under 2,000 characters.",
    },
    "es": {
        "answer_required": "Por favor responda esta pregunta.",
        "answer_choose": "Por favor elija una de las respuestas.",
        "answer_range": "Por favor elija un número de la escala.",
        "answer_too_long": "Por favor escriba menos de 2.000 caracteres.",
    },
}


def answer_error(code: str, language: str) -> str:
    words = ANSWER_ERRORS["es" if language == "es" else "en"]
    return words.get(code, words["answer_choose"])
