"""The demo organisation's people: staff, referral sources and patients with a believable history.

Everything is written through the same actions as the product's pages, so it is validated,
indexed for search and audited; only the touchpoint history is back-dated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Department, Location, Organization
from carebond.people.actions import (
    MRN_SYSTEM,
    NPI_SYSTEM,
    ContactInput,
    IdentifierInput,
    PersonInput,
    ReferralInput,
    StaffInput,
    check_add_care_team_member,
    check_add_history_item,
    check_add_personal_note,
    check_add_related_person,
    check_create_person,
    do_record_consent,
)
from carebond.people.models import Person, PersonKind
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import Direction, MomentOfTruth, TouchpointChannel, TouchpointKind

PATIENTS_BY_SIZE = {"small": 120, "medium": 2000, "large": 20000}

GIVEN_NAMES = (
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "Fatima",
    "Olivia",
    "Mateo",
    "Nguyen",
    "Sofia",
    "Liam",
    "Amara",
    "Hiroshi",
    "Ana",
    "Noah",
    "Priyanka",
    "Elena",
    "Kwame",
    "Grace",
    "Diego",
    "Leila",
    "Samuel",
    "Mei",
    "Isabella",
    "Omar",
    "Chloe",
    "Tomasz",
    "Yusuf",
    "Hannah",
    "Carlos",
    "Zoe",
    "Ibrahim",
    "Lucia",
    "Ethan",
    "Nadia",
    "Malik",
    "Rosa",
    "Benjamin",
    "Thu",
    "Gabriel",
    "Ava",
)
FAMILY_NAMES = (
    "Lopez",
    "Johnson",
    "Okafor",
    "Chen",
    "Haddad",
    "Smith",
    "Garcia",
    "Tran",
    "Rossi",
    "Murphy",
    "Mensah",
    "Tanaka",
    "Silva",
    "Brown",
    "Patel",
    "Novak",
    "Kowalski",
    "Ahmed",
    "Williams",
    "Nguyen",
    "Martinez",
    "Kim",
    "Fischer",
    "Yilmaz",
    "O'Brien",
    "Dubois",
    "Hernandez",
    "Vang",
    "Thompson",
    "Rahman",
    "Moreau",
    "Anderson",
    "Castillo",
    "Li",
    "Osei",
    "Walker",
    "Sato",
)
NICKNAMES = {
    "James": "Jim",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Elena": "Lena",
    "Isabella": "Bella",
    "Gabriel": "Gabe",
    "Priyanka": "Priya",
    "Hannah": "Annie",
}
LANGUAGES = (
    ("en", 70),
    ("es", 14),
    ("vi", 4),
    ("hmn", 3),
    ("ar", 3),
    ("zh", 3),
    ("fr", 2),
    ("pl", 1),
)
PRONOUNS = ("she/her", "he/him", "they/them")
CONDITIONS = (
    ("problem", "44054006", "Type 2 diabetes mellitus"),
    ("problem", "38341003", "Hypertension"),
    ("problem", "195967001", "Asthma"),
    ("problem", "35489007", "Depressive disorder"),
    ("problem", "396275006", "Osteoarthritis"),
    ("allergy", "91936005", "Allergy to penicillin"),
    ("allergy", "300913006", "Shellfish allergy"),
    ("medication", "860975", "Metformin 500 mg oral tablet"),
    ("medication", "314076", "Lisinopril 10 mg oral tablet"),
)
NOTES = (
    "Daughter is getting married in June; ask how the wedding went.",
    "Prefers the first appointment of the day (works evenings).",
    "Cares for her mother at home; tired at visits.",
    "Very anxious about needles: use the small butterfly and talk them through it.",
    "Retired teacher; loves talking about his garden.",
    "Takes the bus: book visits between 10:00 and 14:00.",
    "Lost her husband last year; check in on how she is coping.",
    "Marathon runner, training for Chicago.",
)
SUMMARIES: dict[str, tuple[str, ...]] = {
    TouchpointKind.CALL: (
        "Confirmed next appointment.",
        "Called back about lab results.",
        "Rescheduled: work conflict.",
        "Asked about a bill; explained charges.",
    ),
    TouchpointKind.MESSAGE: (
        "Appointment reminder sent.",
        "Sent directions to the new clinic.",
        "Replied: 'See you Tuesday!'",
        "Prescription ready for pickup.",
    ),
    TouchpointKind.VISIT: (
        "Annual physical.",
        "Follow-up on blood pressure.",
        "Sick visit: sore throat.",
        "Diabetes check; A1c improving.",
    ),
    TouchpointKind.WAITING_ROOM: (
        "Waited 35 minutes past appointment time.",
        "Checked in at the kiosk; seen on time.",
    ),
    TouchpointKind.BILLING: ("Disputed a duplicate charge; corrected.", "Set up a payment plan."),
    TouchpointKind.TELEHEALTH: ("Video follow-up on medication.",),
    TouchpointKind.PORTAL: ("Viewed visit summary in the portal.",),
}
KIND_WEIGHTS = (
    (TouchpointKind.VISIT, 20),
    (TouchpointKind.CALL, 18),
    (TouchpointKind.MESSAGE, 25),
    (TouchpointKind.WAITING_ROOM, 8),
    (TouchpointKind.BILLING, 6),
    (TouchpointKind.TELEHEALTH, 8),
    (TouchpointKind.PORTAL, 15),
)
CHANNEL_OF: dict[str, tuple[str, str, str]] = {
    TouchpointKind.VISIT: (
        TouchpointChannel.IN_PERSON,
        Direction.INBOUND,
        MomentOfTruth.CLINICAL_CARE,
    ),
    TouchpointKind.CALL: (TouchpointChannel.PHONE, Direction.OUTBOUND, MomentOfTruth.SCHEDULING),
    TouchpointKind.MESSAGE: (
        TouchpointChannel.SMS,
        Direction.OUTBOUND,
        MomentOfTruth.COMMUNICATIONS,
    ),
    TouchpointKind.WAITING_ROOM: (
        TouchpointChannel.IN_PERSON,
        Direction.INBOUND,
        MomentOfTruth.WAITING_ROOM,
    ),
    TouchpointKind.BILLING: (TouchpointChannel.PHONE, Direction.INBOUND, MomentOfTruth.BILLING),
    TouchpointKind.TELEHEALTH: (
        TouchpointChannel.VIDEO,
        Direction.INBOUND,
        MomentOfTruth.CLINICAL_CARE,
    ),
    TouchpointKind.PORTAL: (TouchpointChannel.PORTAL, Direction.INBOUND, MomentOfTruth.FOLLOW_UP),
}
STAFF = (
    ("Priya", "Raman", "Family physician", "Family Medicine", True, "clinician"),
    ("Marcus", "Bell", "Pediatrician", "Pediatrics", True, None),
    ("Elena", "Ruiz", "Cardiologist", "Cardiology", True, None),
    ("Grace", "Owusu", "Nurse practitioner", "Family Medicine", True, None),
    ("Tom", "Becker", "Registered nurse", "Family Medicine", True, None),
    ("Jordan", "Lee", "Front desk coordinator", "Front Office", False, "frontdesk"),
    ("Sam", "Patel", "Scheduler", "Front Office", False, None),
    ("Morgan", "Delgado", "Patient experience manager", "Patient Experience", False, "manager"),
    ("Nia", "Harris", "Behavioral health counselor", "Behavioral Health", True, None),
    ("Leo", "Sandoval", "Billing specialist", "Front Office", False, None),
)
REFERRERS = (
    ("Ada", "Byrne", "Orthopedic surgery", "Springfield Orthopedics"),
    ("Kenji", "Mori", "Cardiology", "Lakeview Heart Center"),
    ("Rebecca", "Stone", "Obstetrics and gynecology", "Prairie Women's Health"),
    ("David", "Amsel", "Family medicine", "Amsel Family Practice"),
    ("Lucia", "Ferreira", "Endocrinology", "Capital Endocrine Associates"),
    ("Samuel", "Osei", "Pediatrics", "Little Steps Pediatrics"),
    ("Irene", "Walsh", "Dermatology", "Clearview Dermatology"),
    ("Victor", "Nakamura", "Gastroenterology", "Midstate GI"),
)
REFERRING_ORGANIZATIONS = (
    "St. Luke's Emergency Department",
    "Springfield Urgent Care",
    "County Health Department",
)


@dataclass
class DemoPeople:
    patients: list[Person]
    staff: list[Person]
    referral_sources: list[Person]


def npi_with_check_digit(first_nine: str) -> str:
    """A syntactically valid NPI (Luhn over the 80840 prefix); these are not real providers."""
    total = 24
    for index, char in enumerate(reversed(first_nine)):
        number = int(char)
        if index % 2 == 0:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return first_nine + str((10 - total % 10) % 10)


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def build_people(
    organization: Organization,
    *,
    rng: random.Random,
    size: str,
    users: dict[str, User],
    locations: list[Location],
    departments: dict[str, Department],
) -> DemoPeople:
    if Person.objects.filter(organization=organization).exists():
        return DemoPeople(
            patients=list(
                Person.objects.filter(organization=organization, kind=PersonKind.PATIENT)
            ),
            staff=list(Person.objects.filter(organization=organization, kind=PersonKind.STAFF)),
            referral_sources=list(
                Person.objects.filter(organization=organization, kind=PersonKind.REFERRAL_SOURCE)
            ),
        )
    staff = [
        _staff(
            organization, row, users=users, departments=departments, locations=locations, rng=rng
        )
        for row in STAFF
    ]
    referrers = _referral_sources(organization, rng=rng, liaison=users.get("liaison"))
    patients = [
        _patient(organization, index, rng=rng, staff=staff, users=users, locations=locations)
        for index in range(PATIENTS_BY_SIZE[size])
    ]
    patients.extend(_duplicate_pair(organization, users=users))
    return DemoPeople(patients=patients, staff=staff, referral_sources=referrers)


def _staff(
    organization: Organization,
    row: tuple[str, str, str, str, bool, str | None],
    *,
    users: dict[str, User],
    departments: dict[str, Department],
    locations: list[Location],
    rng: random.Random,
) -> Person:
    given, family, title, department, clinical, username = row
    return check_create_person(
        organization,
        PersonInput(
            kind=PersonKind.STAFF,
            given_name=given,
            family_name=family,
            prefix="Dr." if title.endswith(("physician", "Pediatrician", "Cardiologist")) else "",
            contacts=[
                ContactInput(
                    "email", f"{given.lower()}.{family.lower()}@riverbend.example.org", "work"
                )
            ],
            staff=StaffInput(
                job_title=title,
                department=departments.get(department),
                location=locations[0],
                is_clinical=clinical,
                start_date=date(2015 + rng.randint(0, 9), rng.randint(1, 12), 1),
                user=users.get(username) if username else None,
            ),
        ),
        acting_user=None,
    )


def _referral_sources(
    organization: Organization, *, rng: random.Random, liaison: User | None
) -> list[Person]:
    sources = []
    for index, (given, family, specialty, practice) in enumerate(REFERRERS):
        npi = npi_with_check_digit(f"1{rng.randint(10_000_000, 99_999_999)}")
        sources.append(
            check_create_person(
                organization,
                PersonInput(
                    kind=PersonKind.REFERRAL_SOURCE,
                    given_name=given,
                    family_name=family,
                    prefix="Dr.",
                    contacts=[
                        ContactInput("phone", f"+1217555{1200 + index:04d}", "work"),
                        ContactInput(
                            "email", f"referrals@{practice.split()[0].lower()}.example.org", "work"
                        ),
                    ],
                    identifiers=[IdentifierInput(NPI_SYSTEM, npi, "NPI", "NPI")],
                    referral=ReferralInput(
                        npi=npi,
                        specialty=specialty,
                        practice_name=practice,
                        preferred_contact=rng.choice(["phone", "email"]),
                        liaison=liaison,
                    ),
                ),
                acting_user=None,
            )
        )
    for index, name in enumerate(REFERRING_ORGANIZATIONS):
        sources.append(
            check_create_person(
                organization,
                PersonInput(
                    kind=PersonKind.REFERRAL_SOURCE,
                    organization_name=name,
                    contacts=[ContactInput("phone", f"+1217555{1300 + index:04d}", "work")],
                    referral=ReferralInput(source_type="organization", liaison=liaison),
                ),
                acting_user=None,
            )
        )
    return sources


def _patient(
    organization: Organization,
    index: int,
    *,
    rng: random.Random,
    staff: list[Person],
    users: dict[str, User],
    locations: list[Location],
) -> Person:
    given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
    language = _weighted(rng, LANGUAGES)
    birth = date(1935, 1, 1) + timedelta(days=rng.randint(0, 88 * 365))
    contacts = [ContactInput("phone", f"+1217555{index % 10000:04d}", "mobile")]
    if rng.random() < 0.7:
        contacts.append(
            ContactInput(
                "email", f"{given.lower()}.{family.lower().replace(chr(39), '')}{index}@example.org"
            )
        )
    patient = check_create_person(
        organization,
        PersonInput(
            kind=PersonKind.PATIENT,
            given_name=given,
            family_name=family,
            preferred_name=NICKNAMES.get(given, "") if rng.random() < 0.6 else "",
            pronouns=rng.choice(PRONOUNS) if rng.random() < 0.3 else "",
            birth_date=birth,
            administrative_gender=rng.choice(["female", "male"]),
            preferred_language=language,
            interpreter_needed=language != "en" and rng.random() < 0.6,
            large_print=birth.year < 1950 and rng.random() < 0.4,
            mobility_assistance=birth.year < 1945 and rng.random() < 0.5,
            contacts=contacts,
            identifiers=[IdentifierInput(MRN_SYSTEM, f"RB-{100000 + index}", "MR", "MRN")],
        ),
        acting_user=None,
    )
    _consents(patient, rng=rng)
    if rng.random() < 0.5:
        check_add_care_team_member(
            patient, rng.choice(staff[:5]), role="Primary care clinician", acting_user=None
        )
    for category, code, display in rng.sample(CONDITIONS, rng.randint(0, 3)):
        check_add_history_item(
            patient,
            category=category,
            display=display,
            code_system="http://snomed.info/sct"
            if category != "medication"
            else "http://www.nlm.nih.gov/research/umls/rxnorm",
            code=code,
            acting_user=None,
        )
    if rng.random() < 0.25:
        check_add_personal_note(
            patient,
            text=rng.choice(NOTES),
            acting_user=users.get("clinician") or next(iter(users.values())),
        )
    if rng.random() < 0.2:
        check_add_related_person(
            patient,
            PersonInput(
                kind=PersonKind.RELATED,
                given_name=rng.choice(GIVEN_NAMES),
                family_name=family,
                contacts=[ContactInput("phone", f"+1217555{(index + 5000) % 10000:04d}")],
            ),
            relationship=rng.choice(["SPS", "CHILD", "MTH", "CAREGIVER"]),
            is_emergency_contact=True,
            may_discuss_care=rng.random() < 0.7,
            acting_user=users.get("frontdesk") or next(iter(users.values())),
        )
    _history(patient, rng=rng, staff=staff, users=users, locations=locations)
    return patient


def _consents(patient: Person, *, rng: random.Random) -> None:
    for channel, purpose in (("sms", "appointment"), ("email", "survey"), ("email", "marketing")):
        if rng.random() < 0.8:
            do_record_consent(
                patient,
                channel=channel,
                purpose=purpose,
                status="granted" if rng.random() < 0.85 else "revoked",
                method=rng.choice(["verbal", "portal", "written"]),
                acting_user=None,
            )


def _opening_hours_moment(now: datetime, zone: ZoneInfo, rng: random.Random) -> datetime:
    """A moment of the last 18 months while the practice is open (08:00-17:55 local time), so
    visits and calls do not happen at night."""
    day = now.astimezone(zone).date() - timedelta(days=rng.randint(1, 540))
    minutes = rng.randrange(8 * 60, 18 * 60, 5)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)


def _history(
    patient: Person,
    *,
    rng: random.Random,
    staff: list[Person],
    users: dict[str, User],
    locations: list[Location],
) -> None:
    """5 to 40 touchpoints over the last 18 months: visits, reminders, calls, the waiting room."""
    now = clock.now()
    zone = ZoneInfo(patient.organization.time_zone)
    clinicians = [member for member in staff if member.staff_profile.is_clinical]
    for _ in range(rng.randint(5, 40)):
        kind = _weighted(rng, KIND_WEIGHTS)
        channel, direction, moment = CHANNEL_OF[kind]
        occurred = _opening_hours_moment(now, zone, rng)
        sentiment = None
        if kind in (TouchpointKind.VISIT, TouchpointKind.WAITING_ROOM, TouchpointKind.BILLING):
            sentiment = round(
                rng.uniform(-0.9, 1.0)
                if kind != TouchpointKind.WAITING_ROOM
                else rng.uniform(-1.0, 0.3),
                2,
            )
        record_touchpoint(
            patient,
            kind=kind,
            channel=channel,
            direction=direction,
            occurred_at=occurred,
            staff=rng.choice(clinicians)
            if kind in (TouchpointKind.VISIT, TouchpointKind.TELEHEALTH)
            else rng.choice(staff)
            if kind == TouchpointKind.CALL
            else None,
            location=rng.choice(locations[:2]) if channel == TouchpointChannel.IN_PERSON else None,
            moment_of_truth=moment,
            sentiment=sentiment,
            summary=rng.choice(SUMMARIES[kind]),
            recorded_by=users.get("frontdesk") if kind == TouchpointKind.CALL else None,
        )


def _duplicate_pair(organization: Organization, *, users: dict[str, User]) -> list[Person]:
    """One woman registered twice (a typo at the front desk), for the duplicates page."""
    people = [
        check_create_person(
            organization,
            PersonInput(
                kind=PersonKind.PATIENT,
                given_name=given,
                family_name="Nguyen",
                birth_date=date(1972, 5, 14),
                preferred_language="vi",
                interpreter_needed=True,
                contacts=[ContactInput(system, value)],
                identifiers=[IdentifierInput(MRN_SYSTEM, mrn, "MR", "MRN")],
            ),
            acting_user=None,
        )
        for given, system, value, mrn in (
            ("Catherine", "phone", "+12175559001", "RB-900001"),
            ("Katherine", "email", "kate.nguyen@example.org", "RB-900002"),
        )
    ]
    for person in people:
        record_touchpoint(
            person,
            kind=TouchpointKind.VISIT,
            channel=TouchpointChannel.IN_PERSON,
            direction=Direction.INBOUND,
            moment_of_truth=MomentOfTruth.CLINICAL_CARE,
            occurred_at=datetime.combine(
                clock.now().date() - timedelta(days=40),
                time(10, 30),
                tzinfo=ZoneInfo(organization.time_zone),
            ),
            summary="New patient visit.",
        )
    return people
