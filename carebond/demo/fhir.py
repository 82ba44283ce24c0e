"""The demo organisation's EHR feed: FHIR R4 Bundles imported as an EHR would send them.

One transaction Bundle per new patient (visits with the referring practitioner who saw them,
problems, allergies, medications, immunizations, an appointment, a referral, a task, a
questionnaire response, a consent, a portal message), a provider Bundle, and one Bundle the
importer rejects (a visit dated the 31st of April), so the FHIR import page shows counts and a
named problem. Deterministic by seed; built once (a second build finds the feed's runs).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from carebond.core.models import Organization
from carebond.demo.people import DemoPeople, npi_with_check_digit
from carebond.interop.importing import importer
from carebond.interop.models import ImportRun, ImportVia
from carebond.people.actions import NPI_SYSTEM

SOURCE = "https://ehr.riverbend.example/fhir/R4"
MRN_SYSTEM = "https://ehr.riverbend.example/mrn"
SNOMED = "http://snomed.info/sct"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PATIENTS = (
    ("Hollis", "Marisol", "female", "1961-04-12", "es"),
    ("Achebe", "Tobenna", "male", "1978-09-30", "en"),
    ("Lindqvist", "Freja", "female", "1990-01-17", "sv"),
    ("Okonkwo", "Chidi", "male", "1955-06-03", "en"),
    ("Tran", "Bao", "male", "1983-11-21", "vi"),
    ("Kowalski", "Agnieszka", "female", "1947-02-08", "pl"),
)
PROBLEMS = (
    ("44054006", "Diabetes mellitus type 2"),
    ("38341003", "Hypertensive disorder"),
    ("195967001", "Asthma"),
    ("35489007", "Depressive disorder"),
    ("414916001", "Obesity"),
)
VISIT_TYPES = (
    ("185349003", "Encounter for check up"),
    ("390906007", "Follow-up encounter"),
    ("185345009", "Encounter for symptom"),
)
VACCINES = (("140", "Influenza, seasonal, injectable"), ("208", "SARS-COV-2 (COVID-19) vaccine"))


def build_fhir_feed(
    organization: Organization, *, rng: random.Random, people: DemoPeople, now: datetime
) -> None:
    if ImportRun.objects.filter(organization=organization, source_system=SOURCE).exists():
        return
    ids = _Ids(rng)
    practitioner = {
        "resourceType": "Practitioner",
        "id": ids.new(),
        "identifier": [{"system": NPI_SYSTEM, "value": npi_with_check_digit("134679258")}],
        "name": [{"family": "Abernathy", "given": ["Lena"], "prefix": ["Dr."]}],
        "telecom": [{"system": "phone", "value": "+1 217 555 0177", "use": "work"}],
        "gender": "female",
    }
    clinic = {
        "resourceType": "Organization",
        "id": ids.new(),
        "identifier": [{"system": "https://ehr.riverbend.example/org", "value": "SPR-ORTHO"}],
        "name": "Springfield Orthopaedic Associates",
        "telecom": [{"system": "phone", "value": "+1 217 555 0160"}],
    }
    role = {
        "resourceType": "PractitionerRole",
        "id": ids.new(),
        "practitioner": {"reference": f"Practitioner/{practitioner['id']}"},
        "organization": {"reference": f"Organization/{clinic['id']}", "display": clinic["name"]},
        "specialty": [
            {
                "coding": [
                    {"system": SNOMED, "code": "394801008", "display": "Trauma and orthopaedics"}
                ]
            }
        ],
    }
    documents: list[tuple[str, dict[str, Any]]] = [
        ("providers", _bundle("batch", [practitioner, clinic, role]))
    ]
    for number, (family, given, gender, birth, language) in enumerate(PATIENTS, start=1):
        documents.append(
            (
                f"patient-{number}",
                _patient_bundle(
                    ids, rng, now, family, given, gender, birth, language, practitioner, number
                ),
            )
        )
    broken = _patient_bundle(
        ids, rng, now, "Marsh", "Delia", "female", "1972-07-19", "en", practitioner, 99
    )
    for entry in broken["entry"]:
        if entry["resource"]["resourceType"] == "Encounter":
            entry["resource"]["period"] = {"start": "2026-04-31T09:00:00-05:00"}
            break
    documents.append(("patient-7-bad-date", broken))
    importer.import_documents(
        [(f"{name}.json", document) for name, document in documents],
        organization=organization,
        source_system=SOURCE,
        acting_user=None,
        via=ImportVia.API,
    )


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def new(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def _bundle(kind: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "meta": {"source": SOURCE},
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


def _patient_bundle(
    ids: _Ids,
    rng: random.Random,
    now: datetime,
    family: str,
    given: str,
    gender: str,
    birth: str,
    language: str,
    practitioner: dict[str, Any],
    number: int,
) -> dict[str, Any]:
    patient_id = ids.new()
    patient_ref = {"reference": f"urn:uuid:{patient_id}", "display": f"{given} {family}"}
    npi = practitioner["identifier"][0]["value"]
    doctor = {"reference": f"Practitioner?identifier={NPI_SYSTEM}|{npi}"}
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": patient_id,
            "identifier": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                "code": "MR",
                            }
                        ]
                    },
                    "system": MRN_SYSTEM,
                    "value": f"RB{40000 + number}",
                }
            ],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "telecom": [
                {"system": "phone", "value": f"+1 217 555 {1300 + number:04d}", "use": "mobile"},
                {"system": "email", "value": f"{given.lower()}.{family.lower()}@example.org"},
            ],
            "gender": gender,
            "birthDate": birth,
            "address": [
                {
                    "line": [f"{100 + number * 7} Oak Street"],
                    "city": "Springfield",
                    "state": "IL",
                    "postalCode": "62704",
                    "country": "US",
                }
            ],
            "communication": [
                {
                    "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]},
                    "preferred": True,
                }
            ],
        }
    ]
    for _ in range(rng.randint(2, 4)):
        start = now - timedelta(days=rng.randint(10, 400), hours=rng.randint(0, 8))
        code, display = rng.choice(VISIT_TYPES)
        resources.append(
            {
                "resourceType": "Encounter",
                "id": ids.new(),
                "status": "finished",
                "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
                "type": [
                    {
                        "coding": [{"system": SNOMED, "code": code, "display": display}],
                        "text": display,
                    }
                ],
                "subject": patient_ref,
                "participant": [{"individual": doctor}],
                "period": {"start": _iso(start), "end": _iso(start + timedelta(minutes=20))},
            }
        )
    code, display = rng.choice(PROBLEMS)
    resources.append(
        {
            "resourceType": "Condition",
            "id": ids.new(),
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
            "subject": patient_ref,
            "onsetDateTime": f"{rng.randint(2010, 2024)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        }
    )
    vaccine, vaccine_name = rng.choice(VACCINES)
    resources.append(
        {
            "resourceType": "Immunization",
            "id": ids.new(),
            "status": "completed",
            "vaccineCode": {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/sid/cvx",
                        "code": vaccine,
                        "display": vaccine_name,
                    }
                ]
            },
            "patient": patient_ref,
            "occurrenceDateTime": _iso(now - timedelta(days=rng.randint(30, 300))),
        }
    )
    appointment = now + timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 6))
    resources.append(
        {
            "resourceType": "Appointment",
            "id": ids.new(),
            "status": "booked",
            "description": "Follow-up visit",
            "start": _iso(appointment),
            "end": _iso(appointment + timedelta(minutes=20)),
            "participant": [
                {"actor": patient_ref, "status": "accepted"},
                {"actor": doctor, "status": "accepted"},
            ],
        }
    )
    if number % 2:
        resources.append(
            {
                "resourceType": "ServiceRequest",
                "id": ids.new(),
                "status": "active",
                "intent": "order",
                "category": [
                    {
                        "coding": [
                            {"system": SNOMED, "code": "3457005", "display": "Patient referral"}
                        ]
                    }
                ],
                "code": {"text": "Orthopaedic consultation"},
                "subject": patient_ref,
                "requester": doctor,
                "authoredOn": _iso(now - timedelta(days=rng.randint(1, 20))),
            }
        )
    resources.append(
        {
            "resourceType": "Communication",
            "id": ids.new(),
            "status": "completed",
            "medium": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode",
                            "code": "EMAILWRIT",
                        }
                    ]
                }
            ],
            "subject": patient_ref,
            "sender": doctor,
            "sent": _iso(now - timedelta(days=rng.randint(1, 9))),
            "payload": [{"contentString": "Your lab results are ready in the portal."}],
        }
    )
    return _bundle("transaction", resources)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
