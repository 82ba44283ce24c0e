"""A real FHIR client (SMART's fhirclient) reads appointments, schedules and free slots from a
running server, parsed by the client's own R4 models: an appointment imported from HL7's
example, one booked in CareBond, the doctor's schedule and its open times page by page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fhirclient import client
from fhirclient.models.appointment import Appointment as FhirAppointment
from fhirclient.models.bundle import Bundle
from fhirclient.models.schedule import Schedule
from fhirclient.models.slot import Slot

from carebond.accounts.actions import do_create_api_token
from carebond.accounts.models import User
from carebond.interop.importing.importer import import_files
from carebond.interop.testing import EXAMPLES, load, write
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import Clinic, at

pytestmark = pytest.mark.django_db(transaction=True)

TUESDAY = date(2026, 3, 3)


def test_fhirclient_reads_appointments_schedules_and_free_slots(
    fhir_client: Callable[[str | None], client.FHIRClient],
    clinic: Clinic,
    users_a: dict[str, User],
    tmp_path: Path,
) -> None:
    # given HL7's example Appointment imported for the doctor, and a follow-up booked here
    example = load(EXAMPLES / "Appointment-example.json")
    example["participant"][1]["actor"]["reference"] = f"Practitioner/{clinic.doctor.public_id}"
    example["participant"][2]["actor"]["reference"] = f"Location/{clinic.location.public_id}"
    feed = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": load(EXAMPLES / "Patient-example.json")},
            {"resource": example},
        ],
    }
    import_files(
        [write(tmp_path / "feed.json", feed)],
        organization=clinic.organization,
        source_system="https://ehr.example.org/fhir",
        acting_user=None,
        via="cli",
    )
    imported = Appointment.objects.get(origin_id="Appointment/example")
    booked = check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, 9),
        acting_user=None,
    )
    _, token = do_create_api_token(users_a["front_desk"], name="ehr", acting_user=None)
    smart = fhir_client(token)

    # when the client reads the imported appointment and searches the doctor's
    read = FhirAppointment.read(str(imported.public_id), smart.server)
    found = list(
        FhirAppointment.where(
            struct={"practitioner": f"Practitioner/{clinic.doctor.public_id}"}
        ).perform_resources_iter(smart.server)
    )

    # then it reads them as the EHR booked them and as CareBond booked them
    assert read.status == "booked"
    assert read.start.isostring.startswith("2013-12-10T09:00:00")
    assert read.minutesDuration == 120
    assert {a.id for a in found} == {str(imported.public_id), str(booked.public_id)}

    # when it finds the doctor's schedule and pages through Tuesday's free follow-up slots
    [schedule] = list(
        Schedule.where(
            struct={"actor": f"Practitioner/{clinic.doctor.public_id}"}
        ).perform_resources_iter(smart.server)
    )
    search = Slot.where(
        struct={
            "schedule": f"Schedule/{schedule.id}",
            "start": "2026-03-03",
            "service-type": "follow-up",
            "_count": "5",
        }
    )
    first_page = next(search.perform_iter(smart.server))
    slots = list(search.perform_resources_iter(smart.server))

    # then every open time comes once, the booked 09:00 not among them, and one reads back
    assert isinstance(first_page, Bundle)
    assert first_page.total == len(slots) == 9 + 15  # 09:30-11:30, 13:00-16:30
    starts = [s.start.isostring for s in slots]
    assert starts[0].startswith("2026-03-03T09:30:00")
    assert len(set(starts)) == len(starts)
    assert all(s.status == "free" for s in slots)
    again = Slot.read(slots[0].id, smart.server)
    assert again.schedule.reference == f"Schedule/{schedule.id}"
