"""What the scheduling app adds to core's registry: the Schedule page, the home panels (today's
schedule at the desk, today's patients for a clinician), the person links a merge moves
(a patient's appointments follow the surviving record; so do a provider's appointments,
templates, exceptions and the types they offer)."""

from __future__ import annotations

from datetime import timedelta

from carebond.core.registry import (
    HomePanel,
    NavEntry,
    PersonLinkExemption,
    PersonRelation,
    ScanEntry,
    exempt_person_link,
    register_home_panel,
    register_navigation,
    register_person_relation,
    register_scan,
)
from carebond.scheduling.access import ADHERENCE_READERS, CLINICIANS, DESK, SCHEDULERS
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    ScheduleException,
    ScheduleTemplate,
    TypeProvider,
    WaitlistEntry,
    WaitlistOpening,
    WaitlistProvider,
)
from carebond.scheduling.panels import todays_patients_panel, todays_schedule_panel, waitlist_panel
from carebond.scheduling.waitlist_actions import scan_waitlist


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
    _register_waitlist()


def _register_waitlist() -> None:
    """The waitlist: its page, the desk's panel of offers out, the scan that sends them, and
    its links to people (a patient's entries, the providers they would see, a freed time's
    provider)."""
    register_navigation(NavEntry("Waitlist", "scheduling:waitlist", SCHEDULERS, order=16))
    register_home_panel(
        HomePanel(
            key="scheduling.waitlist",
            title="Waitlist offers",
            template="scheduling/waitlist/panel.html",
            policy=DESK,
            context=waitlist_panel,
            order=2,
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
