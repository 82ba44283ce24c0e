"""The templates every organisation starts with, in English and Spanish. Organisations edit
their copies; ``ensure_built_in_templates`` adds what is missing and never overwrites."""

from __future__ import annotations

from dataclasses import dataclass

from carebond.messaging.models import MessageChannel, MessagePurpose

SMS, EMAIL = MessageChannel.SMS, MessageChannel.EMAIL


@dataclass(frozen=True)
class BuiltIn:
    key: str
    name: str
    purpose: str
    channel: str
    language: str
    body_text: str
    subject: str = ""
    body_html: str = ""


def _email(key: str, name: str, purpose: str, language: str, subject: str, text: str) -> BuiltIn:
    html = "".join(f"<p>{paragraph}</p>" for paragraph in text.split("\n\n"))
    return BuiltIn(key, name, purpose, EMAIL, language, text, subject, html)


A, C, S, R, M = (
    MessagePurpose.APPOINTMENT,
    MessagePurpose.CARE,
    MessagePurpose.SURVEY,
    MessagePurpose.SERVICE_RECOVERY,
    MessagePurpose.MARKETING,
)
ST, RF, RE = MessagePurpose.STAFF, MessagePurpose.REFERRAL, MessagePurpose.REPLY

BUILT_IN: tuple[BuiltIn, ...] = (
    # Appointments: the minimum necessary (no specialty, procedure or reason), under 160 chars.
    BuiltIn(
        "appointment_reminder",
        "Appointment reminder",
        A,
        SMS,
        "en",
        "Hi {{ preferred_name }}, a reminder of your visit at {{ location }} on "
        "{{ appointment_time }}. Reply C to confirm, N to cancel, or call {{ call_back_number }}.",
    ),
    BuiltIn(
        "appointment_reminder",
        "Appointment reminder",
        A,
        SMS,
        "es",
        "Hola {{ preferred_name }}, le recordamos su cita en {{ location }} el "
        "{{ appointment_time }}. Responda C para confirmar, N para cancelar o llame al "
        "{{ call_back_number }}.",
    ),
    _email(
        "appointment_reminder",
        "Appointment reminder",
        A,
        "en",
        "Your visit at {{ organization }}",
        "Hello {{ preferred_name }},\n\nThis is a reminder of your visit at {{ location }} on "
        "{{ appointment_time }}.\n\nTo change it, call {{ call_back_number }} or open "
        "{{ link }}.\n\n{{ organization }}",
    ),
    _email(
        "appointment_reminder",
        "Appointment reminder",
        A,
        "es",
        "Su cita en {{ organization }}",
        "Hola {{ preferred_name }}:\n\nLe recordamos su cita en {{ location }} el "
        "{{ appointment_time }}.\n\nPara cambiarla, llame al {{ call_back_number }} o abra "
        "{{ link }}.\n\n{{ organization }}",
    ),
    # The waitlist: a time that freed, offered with a link (the page says until when), and word
    # that it was taken. The same minimum necessary as a reminder.
    BuiltIn(
        "waitlist_offer",
        "Waitlist: a visit is free",
        A,
        SMS,
        "en",
        "Hi {{ preferred_name }}, a visit is free at {{ location }} on {{ appointment_time }}. "
        "Take it here: {{ link }}",
    ),
    BuiltIn(
        "waitlist_offer",
        "Waitlist: a visit is free",
        A,
        SMS,
        "es",
        "Hola {{ preferred_name }}, hay una cita libre en {{ location }} el "
        "{{ appointment_time }}. Tómela aquí: {{ link }}",
    ),
    _email(
        "waitlist_offer",
        "Waitlist: a visit is free",
        A,
        "en",
        "A visit is free at {{ organization }}",
        "Hello {{ preferred_name }},\n\nA visit is free at {{ location }} on "
        "{{ appointment_time }}, and you are on our waitlist. Take it or say no here: "
        "{{ link }}\n\nIt goes to the first patient who takes it, so the offer ends soon. "
        "Questions? Call {{ call_back_number }}.\n\n{{ organization }}",
    ),
    _email(
        "waitlist_offer",
        "Waitlist: a visit is free",
        A,
        "es",
        "Hay una cita libre en {{ organization }}",
        "Hola {{ preferred_name }}:\n\nHay una cita libre en {{ location }} el "
        "{{ appointment_time }}, y usted está en nuestra lista de espera. Tómela o díganos que "
        "no aquí: {{ link }}\n\nEs para el primer paciente que la tome, así que la oferta "
        "termina pronto. ¿Preguntas? Llame al {{ call_back_number }}.\n\n{{ organization }}",
    ),
    BuiltIn(
        "waitlist_taken",
        "Waitlist: the visit was taken",
        A,
        SMS,
        "en",
        "Hi {{ preferred_name }}, the visit on {{ appointment_time }} has been taken. You are "
        "still on our waitlist.",
    ),
    BuiltIn(
        "waitlist_taken",
        "Waitlist: the visit was taken",
        A,
        SMS,
        "es",
        "Hola {{ preferred_name }}, la cita del {{ appointment_time }} ya fue tomada. Sigue en "
        "nuestra lista de espera.",
    ),
    _email(
        "waitlist_taken",
        "Waitlist: the visit was taken",
        A,
        "en",
        "The visit has been taken",
        "Hello {{ preferred_name }},\n\nThe visit on {{ appointment_time }} that we offered you "
        "has been taken. You are still on our waitlist: we will write when another time is "
        "free.\n\n{{ organization }}",
    ),
    _email(
        "waitlist_taken",
        "Waitlist: the visit was taken",
        A,
        "es",
        "La cita ya fue tomada",
        "Hola {{ preferred_name }}:\n\nLa cita del {{ appointment_time }} que le ofrecimos ya "
        "fue tomada. Sigue en nuestra lista de espera: le escribiremos cuando haya otra hora "
        "libre.\n\n{{ organization }}",
    ),
    # A video visit's reminder carries the patient's join link (no place, no phone number: the
    # link is long, and a reminder without consent must stay within 160 characters).
    BuiltIn(
        "appointment_reminder_video",
        "Video visit reminder",
        A,
        SMS,
        "en",
        "Hi {{ preferred_name }}, video visit {{ appointment_time }}: {{ join_link }} Reply C to "
        "confirm, N to cancel.",
    ),
    BuiltIn(
        "appointment_reminder_video",
        "Video visit reminder",
        A,
        SMS,
        "es",
        "Hola {{ preferred_name }}, consulta por video {{ appointment_time }}: {{ join_link }} "
        "C: confirmar. N: cancelar.",
    ),
    _email(
        "appointment_reminder_video",
        "Video visit reminder",
        A,
        "en",
        "Your video visit with {{ organization }}",
        "Hello {{ preferred_name }},\n\nThis is a reminder of your video visit on "
        "{{ appointment_time }}. From 15 minutes before, join it here: {{ join_link }}\n\n"
        "To change it, call {{ call_back_number }}.\n\n{{ organization }}",
    ),
    _email(
        "appointment_reminder_video",
        "Video visit reminder",
        A,
        "es",
        "Su consulta por video con {{ organization }}",
        "Hola {{ preferred_name }}:\n\nLe recordamos su consulta por video el "
        "{{ appointment_time }}. Desde 15 minutos antes, entre aquí: {{ join_link }}\n\n"
        "Para cambiarla, llame al {{ call_back_number }}.\n\n{{ organization }}",
    ),
    # A booking's (or a move's) confirmation: the calendar invitation is attached.
    _email(
        "appointment_invitation",
        "Visit booked (calendar invitation)",
        A,
        "en",
        "Your visit at {{ organization }}: {{ appointment_time }}",
        "Hello {{ preferred_name }},\n\nYour visit at {{ location }} is on "
        "{{ appointment_time }}. The attached invitation adds it to your calendar (or download "
        "it: {{ link }}).\n\nTo change it, call {{ call_back_number }}.\n\n{{ organization }}",
    ),
    _email(
        "appointment_invitation",
        "Visit booked (calendar invitation)",
        A,
        "es",
        "Su cita en {{ organization }}: {{ appointment_time }}",
        "Hola {{ preferred_name }}:\n\nSu cita en {{ location }} es el {{ appointment_time }}. "
        "La invitación adjunta la añade a su calendario (o descárguela: {{ link }}).\n\n"
        "Para cambiarla, llame al {{ call_back_number }}.\n\n{{ organization }}",
    ),
    _email(
        "appointment_invitation_video",
        "Video visit booked (calendar invitation)",
        A,
        "en",
        "Your video visit with {{ organization }}: {{ appointment_time }}",
        "Hello {{ preferred_name }},\n\nYour video visit is on {{ appointment_time }}. From "
        "15 minutes before, join it here: {{ join_link }}\n\nThe attached invitation adds it "
        "to your calendar (or download it: {{ link }}). To change it, call "
        "{{ call_back_number }}.\n\n{{ organization }}",
    ),
    _email(
        "appointment_invitation_video",
        "Video visit booked (calendar invitation)",
        A,
        "es",
        "Su consulta por video con {{ organization }}: {{ appointment_time }}",
        "Hola {{ preferred_name }}:\n\nSu consulta por video es el {{ appointment_time }}. "
        "Desde 15 minutos antes, entre aquí: {{ join_link }}\n\nLa invitación adjunta la "
        "añade a su calendario (o descárguela: {{ link }}). Para cambiarla, llame al "
        "{{ call_back_number }}.\n\n{{ organization }}",
    ),
    _email(
        "appointment_cancelled",
        "Visit cancelled (calendar)",
        A,
        "en",
        "Cancelled: your visit at {{ organization }}",
        "Hello {{ preferred_name }},\n\nYour visit on {{ appointment_time }} is cancelled; "
        "the attached file takes it off your calendar.\n\nTo book another, call "
        "{{ call_back_number }}.\n\n{{ organization }}",
    ),
    _email(
        "appointment_cancelled",
        "Visit cancelled (calendar)",
        A,
        "es",
        "Cancelada: su cita en {{ organization }}",
        "Hola {{ preferred_name }}:\n\nSu cita del {{ appointment_time }} está cancelada; el "
        "archivo adjunto la quita de su calendario.\n\nPara pedir otra, llame al "
        "{{ call_back_number }}.\n\n{{ organization }}",
    ),
    BuiltIn(
        "appointment_rebook",
        "Your visit needs a new time",
        A,
        SMS,
        "en",
        "{{ organization }}: we must move your visit on {{ appointment_time }} at {{ location }}. "
        "Please call {{ call_back_number }} to choose a new time.",
    ),
    BuiltIn(
        "appointment_rebook",
        "Your visit needs a new time",
        A,
        SMS,
        "es",
        "{{ organization }}: debemos cambiar su cita del {{ appointment_time }} en {{ location }}. "
        "Llame al {{ call_back_number }} para elegir otra hora.",
    ),
    _email(
        "appointment_rebook",
        "Your visit needs a new time",
        A,
        "en",
        "Your visit needs a new time",
        "Hello {{ preferred_name }},\n\nWe are sorry: {{ organization }} must move your visit on "
        "{{ appointment_time }} at {{ location }}.\n\nPlease call {{ call_back_number }} to "
        "choose a new time.",
    ),
    _email(
        "appointment_rebook",
        "Your visit needs a new time",
        A,
        "es",
        "Su cita necesita otra hora",
        "Hola {{ preferred_name }}:\n\nLo sentimos: {{ organization }} debe cambiar su cita del "
        "{{ appointment_time }} en {{ location }}.\n\nLlame al {{ call_back_number }} para "
        "elegir otra hora.",
    ),
    BuiltIn(
        "care_message",
        "New message from your care team",
        C,
        SMS,
        "en",
        "Hi {{ preferred_name }}, {{ organization }} has a message for you. Open it securely: "
        "{{ link }}",
    ),
    BuiltIn(
        "care_message",
        "New message from your care team",
        C,
        SMS,
        "es",
        "Hola {{ preferred_name }}, {{ organization }} tiene un mensaje para usted. Ábralo de "
        "forma segura: {{ link }}",
    ),
    _email(
        "care_message",
        "New message from your care team",
        C,
        "en",
        "A message from {{ organization }}",
        "Hello {{ preferred_name }},\n\nYour care team at {{ organization }} sent you a "
        "message. Open it securely (we will ask your birth date): {{ link }}\n\n"
        "Questions? Call {{ call_back_number }}.",
    ),
    _email(
        "care_message",
        "New message from your care team",
        C,
        "es",
        "Un mensaje de {{ organization }}",
        "Hola {{ preferred_name }}:\n\nSu equipo de atención en {{ organization }} le envió un "
        "mensaje. Ábralo de forma segura (le pediremos su fecha de nacimiento): {{ link }}\n\n"
        "¿Preguntas? Llame al {{ call_back_number }}.",
    ),
    BuiltIn(
        "survey_invitation",
        "How was your visit?",
        S,
        SMS,
        "en",
        "Hi {{ preferred_name }}, how was your visit to {{ organization }}? Two minutes: "
        "{{ link }} Reply STOP to opt out.",
    ),
    BuiltIn(
        "survey_invitation",
        "How was your visit?",
        S,
        SMS,
        "es",
        "Hola {{ preferred_name }}, ¿cómo fue su visita a {{ organization }}? Dos minutos: "
        "{{ link }} Responda ALTO para no recibir más.",
    ),
    _email(
        "survey_invitation",
        "How was your visit?",
        S,
        "en",
        "How was your visit to {{ organization }}?",
        "Hello {{ preferred_name }},\n\nWe would like to hear how your visit went. It takes "
        "about two minutes: {{ link }}\n\nTo stop these emails: {{ unsubscribe_link }}",
    ),
    _email(
        "survey_invitation",
        "How was your visit?",
        S,
        "es",
        "¿Cómo fue su visita a {{ organization }}?",
        "Hola {{ preferred_name }}:\n\nNos gustaría saber cómo fue su visita. Toma unos dos "
        "minutos: {{ link }}\n\nPara no recibir estos correos: {{ unsubscribe_link }}",
    ),
    BuiltIn(
        "survey_reminder",
        "Survey reminder",
        S,
        SMS,
        "en",
        "Hi {{ preferred_name }}, there is still time to tell {{ organization }} how it went: "
        "{{ link }} Reply STOP to opt out.",
    ),
    BuiltIn(
        "survey_reminder",
        "Survey reminder",
        S,
        SMS,
        "es",
        "Hola {{ preferred_name }}, aún puede decirle a {{ organization }} cómo le fue: "
        "{{ link }} Responda ALTO para no recibir más.",
    ),
    _email(
        "survey_reminder",
        "Survey reminder",
        S,
        "en",
        "A reminder from {{ organization }}",
        "Hello {{ preferred_name }},\n\nThere is still time to tell us how it went. It takes "
        "about two minutes: {{ link }}\n\nTo stop these emails: {{ unsubscribe_link }}",
    ),
    _email(
        "survey_reminder",
        "Survey reminder",
        S,
        "es",
        "Un recordatorio de {{ organization }}",
        "Hola {{ preferred_name }}:\n\nAún puede decirnos cómo le fue. Toma unos dos minutos: "
        "{{ link }}\n\nPara no recibir estos correos: {{ unsubscribe_link }}",
    ),
    BuiltIn(
        "you_said_we_did",
        "You said, we did",
        S,
        SMS,
        "en",
        "Hi {{ preferred_name }}, you told {{ organization }} what to improve, and we acted: "
        "{{ link }} Reply STOP to opt out.",
    ),
    BuiltIn(
        "you_said_we_did",
        "You said, we did",
        S,
        SMS,
        "es",
        "Hola {{ preferred_name }}, nos dijo qué mejorar en {{ organization }} y actuamos: "
        "{{ link }} Responda ALTO para no recibir más.",
    ),
    _email(
        "you_said_we_did",
        "You said, we did",
        S,
        "en",
        "You said, we did: {{ organization }}",
        "Hello {{ preferred_name }},\n\nYou told us what we could do better. Here is what we "
        "changed: {{ link }}\n\nThank you for taking the time.\n\nTo stop these emails: "
        "{{ unsubscribe_link }}",
    ),
    _email(
        "you_said_we_did",
        "You said, we did",
        S,
        "es",
        "Usted dijo, nosotros hicimos: {{ organization }}",
        "Hola {{ preferred_name }}:\n\nNos dijo qué podíamos mejorar. Esto es lo que cambiamos: "
        "{{ link }}\n\nGracias por su tiempo.\n\nPara no recibir estos correos: "
        "{{ unsubscribe_link }}",
    ),
    BuiltIn(
        "service_recovery",
        "We are sorry",
        R,
        SMS,
        "en",
        "Hi {{ preferred_name }}, this is {{ staff_name }} at {{ organization }}. We are sorry "
        "your visit fell short. May we call you? {{ call_back_number }}",
    ),
    BuiltIn(
        "service_recovery",
        "We are sorry",
        R,
        SMS,
        "es",
        "Hola {{ preferred_name }}, soy {{ staff_name }} de {{ organization }}. Sentimos que "
        "su visita no fuera buena. ¿Podemos llamarle? {{ call_back_number }}",
    ),
    _email(
        "service_recovery",
        "We are sorry",
        R,
        "en",
        "We are sorry, {{ preferred_name }}",
        "Hello {{ preferred_name }},\n\nI am {{ staff_name }} at {{ organization }}. You told "
        "us your visit fell short, and I would like to put it right. Please call me on "
        "{{ call_back_number }} or reply to this email.\n\nTo stop these emails: "
        "{{ unsubscribe_link }}",
    ),
    _email(
        "service_recovery",
        "We are sorry",
        R,
        "es",
        "Lo sentimos, {{ preferred_name }}",
        "Hola {{ preferred_name }}:\n\nSoy {{ staff_name }} de {{ organization }}. Nos dijo que "
        "su visita no fue buena y quiero arreglarlo. Llámeme al {{ call_back_number }} o "
        "responda a este correo.\n\nPara no recibir estos correos: {{ unsubscribe_link }}",
    ),
    BuiltIn(
        "recall",
        "Time for a check-up",
        M,
        SMS,
        "en",
        "Hi {{ preferred_name }}, it has been a while since your last visit to "
        "{{ organization }}. Book a check-up: {{ link }} Reply STOP to opt out.",
    ),
    BuiltIn(
        "recall",
        "Time for a check-up",
        M,
        SMS,
        "es",
        "Hola {{ preferred_name }}, hace tiempo de su última visita a {{ organization }}. "
        "Reserve una revisión: {{ link }} Responda ALTO para no recibir más.",
    ),
    _email(
        "recall",
        "Time for a check-up",
        M,
        "en",
        "Time for a check-up at {{ organization }}",
        "Hello {{ preferred_name }},\n\nIt has been a while since your last visit. Book a "
        "check-up when it suits you: {{ link }}\n\nTo stop these emails: {{ unsubscribe_link }}",
    ),
    _email(
        "recall",
        "Time for a check-up",
        M,
        "es",
        "Es hora de una revisión en {{ organization }}",
        "Hola {{ preferred_name }}:\n\nHace tiempo de su última visita. Reserve una revisión "
        "cuando le convenga: {{ link }}\n\nPara no recibir estos correos: {{ unsubscribe_link }}",
    ),
    _email(
        "staff_notice",
        "Staff notice",
        ST,
        "en",
        "{{ organization }}: a note for the team",
        "Hello {{ preferred_name }},\n\n{{ free_text }}\n\n{{ staff_name }}",
    ),
    _email(
        "staff_notice",
        "Staff notice",
        ST,
        "es",
        "{{ organization }}: una nota para el equipo",
        "Hola {{ preferred_name }}:\n\n{{ free_text }}\n\n{{ staff_name }}",
    ),
    _email(
        "referral_update",
        "Referral update",
        RF,
        "en",
        "An update on your referral to {{ organization }}",
        "Hello {{ preferred_name }},\n\nThank you for your referral. {{ free_text }}\n\n"
        "{{ staff_name }}, {{ organization }}, {{ call_back_number }}",
    ),
    _email(
        "referral_update",
        "Referral update",
        RF,
        "es",
        "Novedades de su derivación a {{ organization }}",
        "Hola {{ preferred_name }}:\n\nGracias por su derivación. {{ free_text }}\n\n"
        "{{ staff_name }}, {{ organization }}, {{ call_back_number }}",
    ),
    BuiltIn(
        "staff_pulse_invitation",
        "Staff pulse",
        ST,
        SMS,
        "en",
        "{{ organization }} staff pulse: 3 minutes, anonymous: {{ link }}",
    ),
    BuiltIn(
        "staff_pulse_invitation",
        "Staff pulse",
        ST,
        SMS,
        "es",
        "Encuesta breve del personal de {{ organization }}: 3 minutos, anónima: {{ link }}",
    ),
    _email(
        "staff_pulse_invitation",
        "Staff pulse",
        ST,
        "en",
        "{{ organization }}: the staff pulse (anonymous)",
        "Hello {{ preferred_name }},\n\nHow are things on your team? The pulse takes about "
        "three minutes and is anonymous: your answers are stored with no link to you, and "
        "results for small groups are never shown.\n\n{{ link }}",
    ),
    _email(
        "staff_pulse_invitation",
        "Staff pulse",
        ST,
        "es",
        "{{ organization }}: encuesta breve del personal (anónima)",
        "Hola {{ preferred_name }}:\n\n¿Cómo van las cosas en su equipo? La encuesta toma unos "
        "tres minutos y es anónima: sus respuestas se guardan sin vínculo con usted y nunca se "
        "muestran resultados de grupos pequeños.\n\n{{ link }}",
    ),
    _email(
        "referral_survey_invitation",
        "Referral partner survey",
        RF,
        "en",
        "How are we doing as your referral partner? ({{ organization }})",
        "Hello {{ preferred_name }},\n\nThank you for trusting us with your patients. Would "
        "you tell us, in two minutes, how working with {{ organization }} has been this "
        "quarter? {{ link }}\n\n{{ organization }}, {{ call_back_number }}",
    ),
    _email(
        "referral_survey_invitation",
        "Referral partner survey",
        RF,
        "es",
        "¿Cómo lo estamos haciendo como socio de referencia? ({{ organization }})",
        "Hola {{ preferred_name }}:\n\nGracias por confiarnos a sus pacientes. ¿Nos diría, en "
        "dos minutos, cómo ha sido trabajar con {{ organization }} este trimestre? {{ link }}"
        "\n\n{{ organization }}, {{ call_back_number }}",
    ),
    # Automatic replies to a person's own text.
    BuiltIn(
        "opt_out_confirmation",
        "Opt-out confirmation",
        RE,
        SMS,
        "en",
        "{{ organization }}: you will get no more texts from this number. Reply START to "
        "receive them again.",
    ),
    BuiltIn(
        "opt_out_confirmation",
        "Opt-out confirmation",
        RE,
        SMS,
        "es",
        "{{ organization }}: no recibirá más mensajes de este número. Responda START para "
        "volver a recibirlos.",
    ),
    BuiltIn(
        "opt_in_confirmation",
        "Opt-in confirmation",
        RE,
        SMS,
        "en",
        "{{ organization }}: you will receive texts from this number again. Reply STOP to end.",
    ),
    BuiltIn(
        "opt_in_confirmation",
        "Opt-in confirmation",
        RE,
        SMS,
        "es",
        "{{ organization }}: volverá a recibir mensajes de este número. Responda ALTO para "
        "terminar.",
    ),
    BuiltIn(
        "help_reply",
        "Help",
        RE,
        SMS,
        "en",
        "{{ organization }}: for help call {{ call_back_number }}. Reply STOP to end texts. "
        "In an emergency call 911.",
    ),
    BuiltIn(
        "help_reply",
        "Help",
        RE,
        SMS,
        "es",
        "{{ organization }}: para ayuda llame al {{ call_back_number }}. Responda ALTO para no "
        "recibir más. En una emergencia llame al 911.",
    ),
    BuiltIn(
        "which_person",
        "Which person?",
        RE,
        SMS,
        "en",
        "{{ organization }}: more than one person uses this number. Please reply with the name "
        "and birth date of the person your message is about.",
    ),
    BuiltIn(
        "which_person",
        "Which person?",
        RE,
        SMS,
        "es",
        "{{ organization }}: más de una persona usa este número. Responda con el nombre y la "
        "fecha de nacimiento de la persona de su mensaje.",
    ),
    # Answers to a reply to a reminder (C confirms, N cancels; never CANCEL, a STOP word).
    BuiltIn(
        "visit_confirmed",
        "Visit confirmed",
        RE,
        SMS,
        "en",
        "{{ organization }}: thank you, your visit on {{ appointment_time }} is confirmed.",
    ),
    BuiltIn(
        "visit_confirmed",
        "Visit confirmed",
        RE,
        SMS,
        "es",
        "{{ organization }}: gracias, su cita del {{ appointment_time }} está confirmada.",
    ),
    BuiltIn(
        "visit_cancelled",
        "Visit cancelled",
        RE,
        SMS,
        "en",
        "{{ organization }}: your visit on {{ appointment_time }} is cancelled. To book "
        "another, call {{ call_back_number }}.",
    ),
    BuiltIn(
        "visit_cancelled",
        "Visit cancelled",
        RE,
        SMS,
        "es",
        "{{ organization }}: su cita del {{ appointment_time }} está cancelada. Para pedir "
        "otra, llame al {{ call_back_number }}.",
    ),
    BuiltIn(
        "visit_call_to_cancel",
        "Too late to cancel by text",
        RE,
        SMS,
        "en",
        "{{ organization }}: your visit on {{ appointment_time }} is too soon to cancel by "
        "text. Please call {{ call_back_number }}.",
    ),
    BuiltIn(
        "visit_call_to_cancel",
        "Too late to cancel by text",
        RE,
        SMS,
        "es",
        "{{ organization }}: su cita del {{ appointment_time }} es muy pronto para cancelarla "
        "por mensaje. Llame al {{ call_back_number }}.",
    ),
    BuiltIn(
        "which_visit",
        "Which visit?",
        RE,
        SMS,
        "en",
        "{{ organization }}: which visit? Reply with its number: {{ choices }}",
    ),
    BuiltIn(
        "which_visit",
        "Which visit?",
        RE,
        SMS,
        "es",
        "{{ organization }}: ¿qué cita? Responda con su número: {{ choices }}",
    ),
    BuiltIn(
        "after_hours",
        "After hours",
        RE,
        SMS,
        "en",
        "{{ organization }}: our office is closed; we will answer when we open. In an "
        "emergency call 911.",
    ),
    BuiltIn(
        "after_hours",
        "After hours",
        RE,
        SMS,
        "es",
        "{{ organization }}: la oficina está cerrada; responderemos al abrir. En una "
        "emergencia llame al 911.",
    ),
    BuiltIn(
        "emergency_reply",
        "Emergency",
        RE,
        SMS,
        "en",
        "{{ organization }}: if this is an emergency, call 911 now. Texts are read in office "
        "hours only.",
    ),
    BuiltIn(
        "emergency_reply",
        "Emergency",
        RE,
        SMS,
        "es",
        "{{ organization }}: si es una emergencia, llame al 911 ahora. Los mensajes se leen "
        "solo en horario de oficina.",
    ),
    BuiltIn(
        "canned_running_late",
        "Canned: running late",
        RE,
        SMS,
        "en",
        "Thank you for letting us know. We can hold your visit for up to 15 minutes; after that "
        "we may need to move it.",
    ),
    BuiltIn(
        "canned_running_late",
        "Canned: running late",
        RE,
        SMS,
        "es",
        "Gracias por avisarnos. Podemos esperarle hasta 15 minutos; después quizá tengamos que "
        "cambiar la cita.",
    ),
    BuiltIn(
        "canned_reschedule",
        "Canned: moving a visit",
        RE,
        SMS,
        "en",
        "We can move your visit. Reply with two days and times that suit you, or call "
        "{{ call_back_number }}.",
    ),
    BuiltIn(
        "canned_reschedule",
        "Canned: moving a visit",
        RE,
        SMS,
        "es",
        "Podemos cambiar su cita. Responda con dos días y horas que le convengan, o llame al "
        "{{ call_back_number }}.",
    ),
    BuiltIn(
        "canned_call_us",
        "Canned: please call us",
        RE,
        SMS,
        "en",
        "So we can help with this safely, please call us at {{ call_back_number }} during office "
        "hours.",
    ),
    BuiltIn(
        "canned_call_us",
        "Canned: please call us",
        RE,
        SMS,
        "es",
        "Para ayudarle con esto de forma segura, llámenos al {{ call_back_number }} en horario "
        "de oficina.",
    ),
    BuiltIn(
        "canned_thanks",
        "Canned: thank you",
        RE,
        SMS,
        "en",
        "Thank you, {{ preferred_name }}. We have noted it. {{ organization }}",
    ),
    BuiltIn(
        "canned_thanks",
        "Canned: thank you",
        RE,
        SMS,
        "es",
        "Gracias, {{ preferred_name }}. Lo hemos anotado. {{ organization }}",
    ),
)
