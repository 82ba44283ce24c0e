"""What the scheduling app adds to core's registry: the person links a merge moves
(a patient's appointments follow the surviving record; so do a provider's appointments,
templates, exceptions and the types they offer)."""

from __future__ import annotations

from carebond.core.registry import (
    PersonLinkExemption,
    PersonRelation,
    exempt_person_link,
    register_person_relation,
)
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    ScheduleException,
    ScheduleTemplate,
    TypeProvider,
)


def register() -> None:
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
