"""What the scheduling app adds to core's registry: the Schedule page, the home panels (today's
schedule and the online bookings at the desk, today's patients for a clinician), the scan that
frees times patients held and never confirmed, the answers to replies to reminders, the person
links a merge moves (a patient's appointments follow the surviving record; so do a provider's
appointments, templates, exceptions, held times and the types they offer), and its FHIR types
(Appointment, Schedule, Slot: carebond/scheduling/fhir.py)."""

from __future__ import annotations

from datetime import timedelta

from carebond.core.kpis import KpiDimension
from carebond.core.registry import (
    FhirResourceType,
    HomePanel,
    InboundReplyHandler,
    NavEntry,
    PersonLinkExemption,
    PersonRelation,
    ScanEntry,
    exempt_person_link,
    register_fhir_resource_type,
    register_home_panel,
    register_inbound_reply_handler,
    register_kpi,
    register_kpi_dimension,
    register_navigation,
    register_person_relation,
    register_scan,
)
from carebond.scheduling.access import (
    ADHERENCE_READERS,
    CLINICIANS,
    DESK,
    NOSHOW_FAIRNESS_READERS,
    NOSHOW_OUTREACH,
    SCHEDULE_EDITORS,
    SCHEDULERS,
)
from carebond.scheduling.kpi_selectors import appointment_type_names, scheduling_kpis
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    ScheduleException,
    ScheduleTemplate,
    SelfBooking,
    TypeProvider,
    WaitlistEntry,
    WaitlistOpening,
    WaitlistProvider,
)
from carebond.scheduling.panels import (
    online_bookings_panel,
    to_rebook_panel,
    todays_patients_panel,
    todays_schedule_panel,
    visits_at_risk_panel,
    waitlist_panel,
)
from carebond.scheduling.reply_actions import handle_reply
from carebond.scheduling.selfbooking_actions import scan_expired_holds
from carebond.scheduling.waitlist_actions import scan_waitlist


def register() -> None:
    for kpi in scheduling_kpis():
        register_kpi(kpi)
    register_kpi_dimension(
        KpiDimension("appointment_type", "Appointment type", appointment_type_names, "scheduling")
    )
    for resource_type in ("Appointment", "Schedule", "Slot"):
        register_fhir_resource_type(
            FhirResourceType(resource_type, "carebond.scheduling.fhir", "scheduling")
        )
    register_navigation(NavEntry("Schedule", "scheduling:day", SCHEDULERS, order=15))
    register_navigation(NavEntry("Board", "scheduling:board", DESK, order=16))
    register_navigation(NavEntry("Adherence", "scheduling:adherence", ADHERENCE_READERS, order=60))
    # How the practice's weeks are built: providers' weeks, and time away.
    register_navigation(NavEntry("Weeks", "scheduling:weeks", SCHEDULE_EDITORS, order=62))
    register_navigation(NavEntry("Absences", "scheduling:absences", SCHEDULE_EDITORS, order=63))
    register_navigation(NavEntry("Visit types", "scheduling:types", SCHEDULE_EDITORS, order=64))
    register_home_panel(
        HomePanel(
            key="scheduling.to_rebook",
            title="Visits to rebook",
            template="scheduling/panels/to_rebook.html",
            policy=DESK,
            context=to_rebook_panel,
            order=5,
        )
    )
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
    register_home_panel(
        HomePanel(
            key="scheduling.online_bookings",
            title="Online bookings",
            template="scheduling/panels/online_bookings.html",
            policy=DESK,
            context=online_bookings_panel,
            order=2,
        )
    )
    register_scan(ScanEntry("scan_expired_holds", scan_expired_holds, timedelta(minutes=1)))
    register_person_relation(PersonRelation(SelfBooking, "provider"))
    register_navigation(NavEntry("Visits at risk", "scheduling:at_risk", NOSHOW_OUTREACH, order=17))
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
            order=3,
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
    _register_waitlist()


def _register_waitlist() -> None:
    """The waitlist: its page, the desk's panel of offers out, the scan that sends them, and
    its links to people (a patient's entries, the providers they would see, a freed time's
    provider)."""
    register_navigation(NavEntry("Waitlist", "scheduling:waitlist", SCHEDULERS, order=18))
    register_home_panel(
        HomePanel(
            key="scheduling.waitlist",
            title="Waitlist offers",
            template="scheduling/waitlist/panel.html",
            policy=DESK,
            context=waitlist_panel,
            order=4,
        )
    )
    register_scan(ScanEntry("scan_waitlist", scan_waitlist, timedelta(minutes=1)))
    register_person_relation(PersonRelation(WaitlistEntry, "patient"))
    register_person_relation(PersonRelation(WaitlistProvider, "provider", unique_with=("entry",)))
    register_person_relation(PersonRelation(WaitlistOpening, "provider"))
    exempt_person_link(
        PersonLinkExemption(
            WaitlistEntry, "providers", "its rows are WaitlistProvider's, which the merge moves"
        )
    )
