"""The instruments every organisation starts with, in English and Spanish.

The post-visit survey covers the CG-CAHPS domains (access, provider communication, office staff,
an overall 0-10 rating) with CareBond's own wording about this visit: it is not the CAHPS
survey, is never called one, and is never compared with CAHPS benchmarks. Official results come
in from the vendor's CSV (``VendorResult``). The staff pulse carries eNPS and the seven items of
Edmondson's (1999) team psychological-safety scale, items 1, 3 and 5 reverse-scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carebond.surveys.definitions import RATING_ANCHORS, RECOMMEND_ANCHORS
from carebond.surveys.models import InstrumentKind, Moment


def q(link_id: str, kind: str, en: str, es: str, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "link_id": link_id,
        "type": kind,
        "text": {"en": en, "es": es},
        "required": False,
        "composite": "",
        "measure": "",
        "reverse": False,
        "options": [],
        "enable_when": None,
    }
    item.update(extra)
    return item


def section(key: str, en: str, es: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "title": {"en": en, "es": es}, "items": list(items)}


@dataclass(frozen=True)
class BuiltInInstrument:
    key: str
    name: str
    kind: str
    definition: dict[str, Any]
    name_es: str = ""
    moment: str = ""
    anonymous: bool = False
    description: str = ""
    languages: list[str] = field(default_factory=lambda: ["en", "es"])


def _freq(link_id: str, composite: str, en: str, es: str) -> dict[str, Any]:
    return q(link_id, "scale", en, es, scale="frequency4", composite=composite)


def _recommend(
    *,
    whom_en: str = "a friend or family member",
    whom_es: str = "un amigo o familiar",
    place_en: str = "this practice",
    place_es: str = "esta práctica",
) -> dict[str, Any]:
    return q(
        "recommend",
        "rating",
        f"How likely is it that you would recommend {place_en} to {whom_en}?",
        f"¿Qué tan probable es que recomiende {place_es} a {whom_es}?",
        measure="nps",
        anchors=RECOMMEND_ANCHORS,
    )


def _contact(en: str, es: str) -> dict[str, Any]:
    return q("may_contact", "yes_no", en, es, measure="contact")


def _comments(better_en: str, better_es: str) -> dict[str, Any]:
    return section(
        "comments",
        "In your own words",
        "En sus propias palabras",
        q("went_well", "text", "What went well?", "¿Qué salió bien?"),
        q("do_better", "text", better_en, better_es),
        _contact(
            "May we contact you about your answers?",
            "¿Podemos comunicarnos con usted sobre sus respuestas?",
        ),
    )


POST_VISIT = BuiltInInstrument(
    key="post-visit",
    name="Post-visit patient experience",
    name_es="Su experiencia en la visita",
    kind=InstrumentKind.PATIENT_EXPERIENCE,
    description=(
        "Our own questions about one visit, covering access, provider communication, office "
        "staff and an overall rating, plus likelihood to recommend. Not the CAHPS survey."
    ),
    definition={
        "sections": [
            section(
                "access",
                "Getting care",
                "Recibir atención",
                _freq(
                    "access_soon",
                    "access",
                    "Did you get this appointment as soon as you thought you needed?",
                    "¿Consiguió esta cita tan pronto como pensaba que la necesitaba?",
                ),
                _freq(
                    "access_seen",
                    "access",
                    "Were you seen within 15 minutes of your appointment time?",
                    "¿Le atendieron dentro de los 15 minutos de la hora de su cita?",
                ),
            ),
            section(
                "provider",
                "Your provider",
                "Su proveedor",
                _freq(
                    "explained",
                    "provider_communication",
                    "Did this provider explain things in a way that was easy to understand?",
                    "¿Este proveedor le explicó las cosas de una manera fácil de entender?",
                ),
                _freq(
                    "listened",
                    "provider_communication",
                    "Did this provider listen carefully to you?",
                    "¿Este proveedor le escuchó con atención?",
                ),
                _freq(
                    "respect",
                    "provider_communication",
                    "Did this provider show respect for what you had to say?",
                    "¿Este proveedor mostró respeto por lo que usted tenía que decir?",
                ),
                _freq(
                    "enough_time",
                    "provider_communication",
                    "Did this provider spend enough time with you?",
                    "¿Este proveedor pasó suficiente tiempo con usted?",
                ),
            ),
            section(
                "staff",
                "Office staff",
                "Personal de la oficina",
                _freq(
                    "staff_helpful",
                    "office_staff",
                    "Were the clerks and receptionists as helpful as you thought they should be?",
                    "¿Los empleados y recepcionistas fueron tan útiles como usted esperaba?",
                ),
                _freq(
                    "staff_courteous",
                    "office_staff",
                    "Did the clerks and receptionists treat you with courtesy and respect?",
                    "¿Los empleados y recepcionistas le trataron con cortesía y respeto?",
                ),
            ),
            section(
                "overall",
                "Overall",
                "En general",
                q(
                    "provider_rating",
                    "rating",
                    "Using any number from 0 to 10, where 0 is the worst provider possible and "
                    "10 is the best provider possible, what number would you use to rate this "
                    "provider?",
                    "Usando un número del 0 al 10, donde 0 es el peor proveedor posible y 10 el "
                    "mejor proveedor posible, ¿qué número usaría para calificar a este proveedor?",
                    measure="overall",
                    anchors=RATING_ANCHORS,
                ),
                _recommend(),
            ),
            _comments(
                "What is the one thing we could do better?",
                "¿Qué es lo que podríamos hacer mejor?",
            ),
        ]
    },
)


MOMENT_TITLES_ES = {
    "scheduling": "Programar su cita",
    "billing": "Su factura",
    "communications": "Mantenerle informado",
    "waiting_room": "La sala de espera",
    "telehealth": "Su visita por video",
}


def _moment(key: str, moment: str, name: str, en: str, es: str) -> BuiltInInstrument:
    return BuiltInInstrument(
        key=f"moment-{key}",
        name=name,
        name_es=MOMENT_TITLES_ES[moment],
        kind=InstrumentKind.MOMENT,
        moment=moment,
        description="One question about one moment of truth, and room for a comment.",
        definition={
            "sections": [
                section(
                    "moment",
                    name,
                    MOMENT_TITLES_ES[moment],
                    q(key.replace("-", "_"), "scale", en, es, scale="agree5", composite=moment),
                    q(
                        "comment",
                        "text",
                        "Anything you would like to tell us?",
                        "¿Algo que quiera decirnos?",
                    ),
                    _contact(
                        "May we contact you about your answers?",
                        "¿Podemos comunicarnos con usted sobre sus respuestas?",
                    ),
                )
            ]
        },
    )


MOMENTS = (
    _moment(
        "scheduling",
        Moment.SCHEDULING,
        "Scheduling your visit",
        "Making this appointment was easy.",
        "Hacer esta cita fue fácil.",
    ),
    _moment(
        "billing",
        Moment.BILLING,
        "Your bill",
        "My statement was clear and easy to understand.",
        "Mi estado de cuenta fue claro y fácil de entender.",
    ),
    _moment(
        "communications",
        Moment.COMMUNICATIONS,
        "Keeping you informed",
        "We kept you informed and answered your messages promptly.",
        "Le mantuvimos informado y respondimos sus mensajes a tiempo.",
    ),
    _moment(
        "waiting-room",
        Moment.WAITING_ROOM,
        "The waiting room",
        "The wait and the waiting room were comfortable.",
        "La espera y la sala de espera fueron cómodas.",
    ),
    _moment(
        "telehealth",
        Moment.TELEHEALTH,
        "Your video visit",
        "Joining and holding the video visit was easy.",
        "Conectarse y tener la visita por video fue fácil.",
    ),
)

PSYCH_SAFETY = (
    (
        "If you make a mistake on this team, it is often held against you.",
        "Si comete un error en este equipo, a menudo se lo reprochan.",
        True,
    ),
    (
        "Members of this team are able to bring up problems and tough issues.",
        "Los miembros de este equipo pueden plantear problemas y temas difíciles.",
        False,
    ),
    (
        "People on this team sometimes reject others for being different.",
        "Las personas de este equipo a veces rechazan a otros por ser diferentes.",
        True,
    ),
    ("It is safe to take a risk on this team.", "Es seguro asumir riesgos en este equipo.", False),
    (
        "It is difficult to ask other members of this team for help.",
        "Es difícil pedir ayuda a otros miembros de este equipo.",
        True,
    ),
    (
        "No one on this team would deliberately act in a way that undermines my efforts.",
        "Nadie en este equipo actuaría a propósito de forma que socave mis esfuerzos.",
        False,
    ),
    (
        "Working with members of this team, my unique skills and talents are valued and utilized.",
        "Trabajando con este equipo, mis habilidades y talentos únicos se valoran y se usan.",
        False,
    ),
)

STAFF_PULSE = BuiltInInstrument(
    key="staff-pulse",
    name="Staff pulse",
    name_es="Encuesta breve del personal",
    kind=InstrumentKind.STAFF_PULSE,
    anonymous=True,
    description=(
        "Anonymous: eNPS and the seven-item team psychological-safety scale (Edmondson 1999). "
        "Results for groups under the organisation's threshold are hidden."
    ),
    definition={
        "sections": [
            section(
                "enps",
                "This organisation",
                "Esta organización",
                q(
                    "enps",
                    "rating",
                    "How likely is it that you would recommend this organisation as a place to "
                    "work?",
                    "¿Qué tan probable es que recomiende esta organización como lugar de trabajo?",
                    measure="enps",
                    anchors=RECOMMEND_ANCHORS,
                ),
            ),
            section(
                "team",
                "Your team",
                "Su equipo",
                *(
                    q(
                        f"psych_{n}",
                        "scale",
                        en,
                        es,
                        scale="accuracy7",
                        measure="psych_safety",
                        composite="psych_safety",
                        reverse=reverse,
                    )
                    for n, (en, es, reverse) in enumerate(PSYCH_SAFETY, start=1)
                ),
            ),
            section(
                "comments",
                "In your own words",
                "En sus propias palabras",
                q(
                    "comment",
                    "text",
                    "What one change would make your work better?",
                    "¿Qué cambio mejoraría su trabajo?",
                ),
                _contact(
                    "I would like someone to contact me about my comment (my name will be shared "
                    "with the person who follows up; my answers stay anonymous).",
                    "Quiero que alguien me contacte sobre mi comentario (mi nombre se compartirá "
                    "con quien haga el seguimiento; mis respuestas siguen siendo anónimas).",
                ),
            ),
        ]
    },
)

REFERRAL_SOURCE = BuiltInInstrument(
    key="referral-source",
    name="Referral-source satisfaction",
    name_es="Satisfacción de quienes nos refieren",
    kind=InstrumentKind.REFERRAL_SOURCE,
    description="A quarterly check with the offices that send us patients.",
    definition={
        "sections": [
            section(
                "working_together",
                "Working with us",
                "Trabajar con nosotros",
                *(
                    q(link, "scale", en, es, scale="agree5", composite="referral_experience")
                    for link, en, es in (
                        (
                            "easy_to_refer",
                            "It is easy to refer a patient to us.",
                            "Es fácil referirnos a un paciente.",
                        ),
                        (
                            "seen_promptly",
                            "Your patients are seen promptly.",
                            "Sus pacientes son atendidos a tiempo.",
                        ),
                        (
                            "reports_back",
                            "You receive timely reports back after each visit.",
                            "Recibe informes oportunos después de cada visita.",
                        ),
                        (
                            "communication",
                            "Our staff are easy to reach and helpful.",
                            "Nuestro personal es fácil de contactar y servicial.",
                        ),
                    )
                ),
                _recommend(
                    place_en="us",
                    place_es="nuestra práctica",
                    whom_en="a colleague",
                    whom_es="un colega",
                ),
            ),
            _comments("What could we do better for you?", "¿Qué podríamos hacer mejor por usted?"),
        ]
    },
)

RECOVERY_FOLLOW_UP = BuiltInInstrument(
    key="recovery-follow-up",
    name="Did we put it right?",
    name_es="¿Lo resolvimos?",
    kind=InstrumentKind.RECOVERY_FOLLOW_UP,
    description="Sent when a service-recovery case closes.",
    definition={
        "sections": [
            section(
                "follow_up",
                "Following up",
                "Seguimiento",
                q(
                    "resolved",
                    "scale",
                    "Did we resolve your concern?",
                    "¿Resolvimos su inquietud?",
                    scale="yes3",
                    composite="recovery",
                ),
                _recommend(),
                q("comment", "text", "Anything else?", "¿Algo más?"),
            )
        ]
    },
)

BUILT_IN: tuple[BuiltInInstrument, ...] = (
    POST_VISIT,
    *MOMENTS,
    STAFF_PULSE,
    REFERRAL_SOURCE,
    RECOVERY_FOLLOW_UP,
)
