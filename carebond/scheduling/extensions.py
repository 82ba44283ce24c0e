"""What the scheduling app adds to core's registry: the Schedule page, the home panels (today's
schedule at the desk, today's patients for a clinician), the person links a merge moves
(a patient's appointments follow the surviving record; so do a provider's appointments,
templates, exceptions and the types they offer)."""

from __future__ import annotations

from carebond.core.registry import (
    HomePanel,
    NavEntry,
    PersonLinkExemption,
    PersonRelation,
    exempt_person_link,
    register_home_panel,
    register_navigation,
    register_person_relation,
)
from carebond.scheduling.access import (
    ADHERENCE_READERS,
    CLINICIANS,
    DESK,
    NOSHOW_FAIRNESS_READERS,
    NOSHOW_OUTREACH,
    SCHEDULERS,
)
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    ScheduleException,
    ScheduleTemplate,
    TypeProvider,
)
from carebond.scheduling.panels import (
    todays_patients_panel,
    todays_schedule_panel,
    visits_at_risk_panel,
)


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
    register_navigation(NavEntry("Visits at risk", "scheduling:at_risk", NOSHOW_OUTREACH, order=16))
    register_navigation(
        NavEntry(
            "No-show fairness", "scheduling:noshow_fairness", NOSHOW_FAIRNESS_READERS, order=61
        )
    )
    register_home_panel(
        HomePanel(
            key="scheduling.at_risk",
            title="Visits at risk",
            template="scheduling/panels/at_risk.html",
            policy=NOSHOW_OUTREACH,
            context=visits_at_risk_panel,
            order=2,
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
