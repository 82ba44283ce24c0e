"""What the scheduling app adds to core's registry: the Schedule page, the home panels (today's
schedule at the desk, today's patients for a clinician), the answers to replies to reminders,
the person links a merge moves
(a patient's appointments follow the surviving record; so do a provider's appointments,
templates, exceptions and the types they offer)."""

from __future__ import annotations

from carebond.core.registry import (
    HomePanel,
    InboundReplyHandler,
    NavEntry,
    PersonLinkExemption,
    PersonRelation,
    exempt_person_link,
    register_home_panel,
    register_inbound_reply_handler,
    register_navigation,
    register_person_relation,
)
from carebond.scheduling.access import ADHERENCE_READERS, CLINICIANS, DESK, SCHEDULERS
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    ScheduleException,
    ScheduleTemplate,
    TypeProvider,
)
from carebond.scheduling.panels import todays_patients_panel, todays_schedule_panel
from carebond.scheduling.reply_actions import handle_reply


def register() -> None:
    register_navigation(NavEntry("Schedule", "scheduling:day", SCHEDULERS, order=15))
    register_navigation(NavEntry("Adherence", "scheduling:adherence", ADHERENCE_READERS, order=60))
    register_home_panel(
        HomePanel(
            key="scheduling.today",
            title="Today's schedule",
            template="scheduling/panels/today.html",
            policy=DESK,
            context=todays_schedule_panel,
            order=1,
        )
    )
    register_home_panel(
        HomePanel(
            key="scheduling.my_patients",
            title="Today's patients",
            template="scheduling/panels/my_patients.html",
            policy=CLINICIANS,
            context=todays_patients_panel,
            order=1,
        )
    )
    register_person_relation(PersonRelation(Appointment, "patient"))
    register_person_relation(PersonRelation(Appointment, "provider"))
    register_person_relation(PersonRelation(ScheduleTemplate, "provider"))
    register_person_relation(PersonRelation(ScheduleException, "provider"))
    register_person_relation(
        PersonRelation(TypeProvider, "provider", unique_with=("appointment_type",))
    )
    exempt_person_link(
        PersonLinkExemption(
            AppointmentType, "providers", "its rows are TypeProvider's, which the merge moves"
        )
    )
    # Replies to reminders ("C" confirms, "N" cancels, "1"/"2" answers "which visit?").
    register_inbound_reply_handler(
        InboundReplyHandler("scheduling.reminder_replies", handle_reply, "scheduling")
    )
