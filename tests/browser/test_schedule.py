"""The schedule in a browser: the front desk finds a patient and books an open time; on the
day's schedule it moves a visit through arrived, roomed, seen and completed, cancels one with a
reason and marks a no-show; each press is checked against what was stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.core.permissions import Role
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.messaging.models import Message
from carebond.people.actions import check_record_consent
from carebond.people.models import Person, Relationship
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ScheduleTemplate,
)
from carebond.scheduling.series_actions import check_book_series
from carebond.scheduling.tests.conftest import weekly_template
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import axe_violations, horizontal_overflow, wider_than_window
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHICAGO = ZoneInfo("America/Chicago")


def _next_monday() -> date:
    today = clock.now().astimezone(CHICAGO).date()
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def midday() -> Iterator[None]:
    """Noon at the clinic, today, with the clock running: a test that places visits minutes
    around "now" keeps them on the clinic's today whatever the hour it runs at."""
    today = clock.now().astimezone(CHICAGO).date()
    with time_machine.travel(datetime.combine(today, time(12), tzinfo=CHICAGO), tick=True):
        yield


def _clinic() -> tuple[Organization, Location, Person, AppointmentType, Person]:
    organization = make_organization("alder", "Alder Family Practice")
    location = Location.objects.create(
        organization=organization, name="Main clinic", time_zone="America/Chicago"
    )
    ensure_built_in_templates(organization)
    doctor = make_staff(organization, "Priya", "Raman")
    weekly_template(doctor, location, starts_on=clock.now().date() - timedelta(days=7))
    follow_up = AppointmentType.objects.create(
        organization=organization, key="follow-up", name="Follow-up", duration_minutes=30
    )
    patient = make_patient(organization, "Rosa", "Diaz", phone="+13125550123")
    return organization, location, doctor, follow_up, patient


@pytest.mark.parametrize("width", [1280, 390])
def test_the_front_desk_books_an_open_time_for_a_patient(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, _location, doctor, _follow_up, patient = _clinic()
    monday = _next_monday()
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        "/schedule/book/",
    )
    # find the patient
    page.get_by_role("textbox", name="Find the patient").fill("Diaz")
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("patients-found").get_by_role("link", name="Rosa Diaz").click()
    # the type, the provider and the day
    page.get_by_label("Visit type").select_option(label="Follow-up")
    page.get_by_label("Provider").select_option(label="Priya Raman")
    page.get_by_label("Day").fill(monday.isoformat())
    page.get_by_role("button", name="Show open times").click()
    times = page.get_by_test_id("open-times")
    expect(times.get_by_role("button").first).to_contain_text("09:00 with Priya Raman")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # pressing a time books it, and the day's schedule shows it
    times.get_by_role("button", name="09:30 with Priya Raman").click()
    expect(page.get_by_role("status")).to_contain_text("Booked: Rosa Diaz")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.starts_at == datetime.combine(monday, time(9, 30), tzinfo=CHICAGO)
    assert (appointment.provider, appointment.status) == (doctor, AppointmentStatus.BOOKED)
    expect(page.get_by_test_id(f"visit-{appointment.public_id}")).to_contain_text("09:30")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_moves_a_visit_through_its_steps_cancels_one_and_marks_a_no_show(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    monday = _next_monday()
    other = make_patient(organization, "Luis", "Mora")

    def booked(person: Person, hour: int) -> Appointment:
        return check_book_appointment(
            person,
            provider=doctor,
            location=location,
            appointment_type=follow_up,
            starts_at=datetime.combine(monday, time(hour), tzinfo=CHICAGO),
            acting_user=None,
        )

    visit, cancelled = booked(patient, 9), booked(other, 10)
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/?location={location.public_id}&day={monday.isoformat()}",
    )
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    row = page.get_by_test_id(f"visit-{visit.public_id}")
    for button, moment in (
        ("Arrived", "arrived_at"),
        ("Roomed", "roomed_at"),
        ("Seen", "seen_at"),
        ("Completed", "completed_at"),
    ):
        row.get_by_role("button", name=f"{button}: Rosa Diaz").click()
        expect(page.get_by_role("status")).to_contain_text(f"Rosa Diaz: {button.lower()}")
        visit.refresh_from_db()
        assert getattr(visit, moment) is not None
    assert visit.status == AppointmentStatus.FULFILLED
    # a no-show before the visit has begun is refused with the reason, nothing changed
    page.get_by_test_id(f"visit-{cancelled.public_id}").get_by_role(
        "button", name="No-show: Luis Mora"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("15 minutes after its start")
    cancelled.refresh_from_db()
    assert cancelled.status == AppointmentStatus.BOOKED
    # cancel with who and why
    row = page.get_by_test_id(f"visit-{cancelled.public_id}")
    row.get_by_text("Cancel").first.click()
    row.get_by_label("Who cancelled").select_option(label="The patient")
    row.get_by_label("Reason").fill("Car trouble")
    row.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_role("status")).to_contain_text("Luis Mora: visit cancelled")
    cancelled.refresh_from_db()
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == (
        AppointmentStatus.CANCELLED,
        "patient",
        "Car trouble",
    )


def test_a_visit_that_started_a_while_ago_is_marked_a_no_show(
    page: Page, live_server: object
) -> None:
    organization, location, doctor, follow_up, patient = _clinic()
    starts = clock.now() - timedelta(hours=1)
    visit = Appointment.objects.create(
        organization=organization,
        patient=patient,
        provider=doctor,
        location=location,
        appointment_type=follow_up,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        duration_minutes=30,
        time_zone="America/Chicago",
        group_key="late",
        booked_at=starts,
    )
    day = starts.astimezone(CHICAGO).date()
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/?location={location.public_id}&day={day.isoformat()}",
    )
    page.get_by_role("button", name="No-show: Rosa Diaz").click()
    expect(page.get_by_role("status")).to_contain_text("Rosa Diaz: marked as a no-show")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.NOSHOW


@pytest.mark.parametrize("width", [1280, 390])
def test_the_analyst_reads_adherence_by_visit_type(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, location, doctor, follow_up, _patient = _clinic()
    starts = clock.now() - timedelta(days=3)
    for n, status in enumerate(("fulfilled", "fulfilled", "fulfilled", "noshow")):
        Appointment.objects.create(
            organization=organization,
            patient=make_patient(organization, f"Past{n}", "Visit"),
            provider=doctor,
            location=location,
            appointment_type=follow_up,
            starts_at=starts + timedelta(hours=n),
            ends_at=starts + timedelta(hours=n, minutes=30),
            duration_minutes=30,
            time_zone="America/Chicago",
            status=status,
            group_key=f"p{n}",
            booked_at=starts - timedelta(days=5),
        )
    open_as(
        page, str(live_server), make_user(organization, Role.ANALYST, "ana"), "/schedule/adherence/"
    )
    page.get_by_label("Group by", exact=True).select_option(label="Visit type")
    page.get_by_label("Period", exact=True).select_option(label="Last 30 days")
    page.get_by_role("button", name="Show").click()
    table = page.get_by_test_id("adherence")
    expect(table).to_contain_text("Follow-up")
    expect(table.get_by_role("row", name="Follow-up")).to_contain_text("75%")
    assert "group_by=appointment_type" in page.url
    assert "days=30" in page.url
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_books_from_the_week_calendar_and_moves_the_visit(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, location, doctor, _follow_up, patient = _clinic()
    monday = _next_monday()
    wednesday = monday + timedelta(days=2)
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/week/?location={location.public_id}&day={monday.isoformat()}",
    )
    assert axe_violations(page) == []
    assert wider_than_window(page) == []
    assert horizontal_overflow(page) == 0
    # "Book" in Priya Raman's Monday opens booking on her and that day
    page.get_by_role(
        "link", name=f"Book with Priya Raman on {monday:%A} {monday.day} {monday:%B}"
    ).click()
    page.get_by_role("textbox", name="Find the patient").fill("Diaz")
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("patients-found").get_by_role("link", name="Rosa Diaz").click()
    page.get_by_label("Visit type").select_option(label="Follow-up")
    expect(page.get_by_label("Day")).to_have_value(monday.isoformat())
    page.get_by_role("button", name="Show open times").click()
    page.get_by_test_id("open-times").get_by_role("button", name="09:30 with Priya Raman").click()
    expect(page.get_by_role("status")).to_contain_text("Booked: Rosa Diaz")
    visit = Appointment.objects.get(patient=patient)
    assert (visit.provider, visit.starts_at) == (
        doctor,
        datetime.combine(monday, time(9, 30), tzinfo=CHICAGO),
    )
    # back on the week, the visit is in Monday's cell
    page.goto(
        f"{live_server}/schedule/week/?location={location.public_id}&day={monday.isoformat()}"
    )
    card = page.locator(f'[data-visit="{visit.public_id}"]')
    expect(page.get_by_test_id(f"cell-{doctor.public_id}-{monday.isoformat()}")).to_contain_text(
        "09:30 Rosa Diaz"
    )
    if width == 1280:
        # dragged onto Wednesday: its Move page opens on that day, to pick the time
        card.drag_to(page.get_by_test_id(f"cell-{doctor.public_id}-{wednesday.isoformat()}"))
        expect(page.get_by_role("heading", name="Move Rosa Diaz's visit")).to_be_visible()
        expect(page.get_by_label("Day")).to_have_value(wednesday.isoformat())
    else:
        # picked: the Move link, then the day
        card.get_by_role("link", name="Move Rosa Diaz's 09:30 visit").click()
        page.get_by_label("Day").fill(wednesday.isoformat())
        page.get_by_role("button", name="Show open times").click()
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_test_id("open-times").get_by_role("button", name="11:00 with Priya Raman").click()
    expect(page.get_by_role("status")).to_contain_text("Moved: Rosa Diaz")
    visit.refresh_from_db()
    assert visit.starts_at == datetime.combine(wednesday, time(11), tzinfo=CHICAGO)
    assert visit.status == AppointmentStatus.BOOKED
    expect(page.get_by_test_id(f"cell-{doctor.public_id}-{wednesday.isoformat()}")).to_contain_text(
        "11:00 Rosa Diaz"
    )


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.usefixtures("midday")
def test_the_desk_checks_a_patient_in_on_the_board_and_the_board_shows_the_wait(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    now = clock.now()
    other = make_patient(organization, "Luis", "Mora")
    # given two visits today: Rosa's about to start, Luis's who arrived twenty minutes ago
    rosa, luis = (
        Appointment.objects.create(
            organization=organization,
            patient=person,
            provider=doctor,
            location=location,
            appointment_type=follow_up,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            duration_minutes=30,
            time_zone="America/Chicago",
            group_key=f"board-{person.pk}",
            booked_at=now - timedelta(days=3),
            status=status,
            arrived_at=arrived,
        )
        for person, starts, status, arrived in (
            (patient, now + timedelta(minutes=5), AppointmentStatus.BOOKED, None),
            (
                other,
                now - timedelta(minutes=25),
                AppointmentStatus.ARRIVED,
                now - timedelta(minutes=20),
            ),
        )
    )
    desk = make_user(organization, Role.FRONT_DESK, "jordan")
    open_as(page, str(live_server), desk, f"/schedule/board/?location={location.public_id}")
    # Luis has waited past the practice's warning time: it says so
    card = page.get_by_test_id("board-waiting").get_by_test_id(f"card-{luis.public_id}")
    expect(card).to_contain_text("Long waiting 20 min")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # when the desk checks Rosa in on the board
    page.get_by_role("button", name="Arrived: Rosa Diaz").click()
    expect(page.get_by_role("status")).to_contain_text("Rosa Diaz: arrived")
    rosa.refresh_from_db()
    assert rosa.status == AppointmentStatus.ARRIVED
    assert rosa.arrived_at is not None
    # then the board shows her in the waiting room, and how long she has waited
    expect(
        page.get_by_test_id("board-waiting").get_by_test_id(f"card-{rosa.public_id}")
    ).to_contain_text("waiting 0 min")
    # and when a colleague rooms Luis from the day's schedule, this board follows by itself
    colleague = page.context.new_page()
    colleague.goto(f"{live_server}/schedule/?location={location.public_id}")
    colleague.get_by_role("button", name="Roomed: Luis Mora").click()
    expect(colleague.get_by_role("status")).to_contain_text("Luis Mora: roomed")
    expect(
        page.get_by_test_id("board-roomed").get_by_test_id(f"card-{luis.public_id}")
    ).to_contain_text("in the room 0 min", timeout=3000)
    luis.refresh_from_db()
    assert luis.roomed_at is not None


def test_the_desk_books_a_weekly_series_and_a_mother_with_her_son(
    page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    organization, _location, _doctor, _follow_up, patient = _clinic()
    son = make_patient(organization, "Tito", "Diaz")
    Relationship.objects.create(
        organization=organization, patient=patient, related=son, relationship="CHILD"
    )
    monday = _next_monday()
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/book/?patient={patient.public_id}",
    )

    def find_times(**extra: str) -> None:
        page.get_by_label("Visit type").select_option(label="Follow-up")
        page.get_by_label("Provider").select_option(label="Priya Raman")
        page.get_by_label("Day").fill(monday.isoformat())
        for label, value in extra.items():
            page.get_by_label(label.replace("_", " ")).select_option(label=value)
        page.get_by_role("button", name="Show open times").click()

    # a series: every week, four visits
    find_times(Repeat="Every week")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_test_id("open-times").get_by_role("button", name="09:00 with Priya Raman").click()
    expect(page.get_by_role("status")).to_contain_text("Booked a series of 4 for Rosa Diaz")
    series = list(Appointment.objects.filter(patient=patient).order_by("starts_at"))
    assert [a.starts_at for a in series] == [
        datetime.combine(monday + timedelta(weeks=n), time(9), tzinfo=CHICAGO) for n in range(4)
    ]
    assert len({a.series_id for a in series}) == 1
    # then Rosa and her son together, back to back
    page.goto(f"{live_server}/schedule/book/?patient={patient.public_id}")
    page.get_by_label("Tito Diaz (Child)").check()
    find_times()
    page.get_by_test_id("open-times").get_by_role("button", name="10:00 with Priya Raman").click()
    expect(page.get_by_role("status")).to_contain_text("Booked together")
    together = Appointment.objects.filter(series__isnull=True).order_by("starts_at")
    assert [(a.patient, a.starts_at.astimezone(CHICAGO).time()) for a in together] == [
        (patient, time(10)),
        (son, time(10, 30)),
    ]


@pytest.mark.usefixtures("midday")
def test_the_desk_starts_the_kiosk_and_a_patient_checks_in_there_in_spanish(
    page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    Person.objects.filter(pk=patient.pk).update(birth_date=date(1980, 5, 17))
    starts = clock.now() + timedelta(minutes=20)
    visit = Appointment.objects.create(
        organization=organization,
        patient=patient,
        provider=doctor,
        location=location,
        appointment_type=follow_up,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        duration_minutes=30,
        time_zone="America/Chicago",
        group_key="kiosk-visit",
        booked_at=clock.now() - timedelta(days=2),
    )
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/board/?location={location.public_id}",
    )
    page.get_by_role("button", name="Start the kiosk on this device").click()
    # the desk's session ends on the tablet: nothing of the staff's pages is left to tap
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.goto(f"{live_server}/schedule/board/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.go_back()
    page.get_by_role("link", name="Español").click()
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # a wrong answer sends the patient to the desk, and changes nothing
    page.get_by_label("Fecha de nacimiento").fill("1980-05-18")
    page.get_by_label("Primeras letras de su apellido").fill("Di")
    page.get_by_role("button", name="Registrar llegada").click()
    expect(page.get_by_test_id("kiosk-problem")).to_contain_text("acérquese a la recepción")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.BOOKED
    # the right one checks her in
    page.get_by_label("Fecha de nacimiento").fill("1980-05-17")
    page.get_by_label("Primeras letras de su apellido").fill("di")
    page.get_by_role("button", name="Registrar llegada").click()
    expect(page.get_by_test_id("kiosk-done")).to_contain_text("Gracias, Rosa")
    assert axe_violations(page) == []
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CHECKED_IN
    assert visit.arrived_at is not None
    # and the kiosk clears itself for the next patient
    expect(page.get_by_label("Fecha de nacimiento")).to_have_value("", timeout=15000)
    expect(page.get_by_test_id("kiosk-done")).to_have_count(0)


def test_a_manager_records_an_absence_and_the_desk_works_its_visits(
    page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    check_add_sender(
        organization,
        channel="sms",
        address="+13125550100",
        label="Clinic line",
        purposes=["appointment"],
        per_second=10,
    )
    monday = _next_monday()
    visits = [
        check_book_appointment(
            person,
            provider=doctor,
            location=location,
            appointment_type=follow_up,
            starts_at=datetime.combine(monday, time(hour), tzinfo=CHICAGO),
            acting_user=None,
        )
        for person, hour in (
            (patient, 9),
            (make_patient(organization, "Luis", "Mora", phone="+13125550124"), 10),
        )
    ]
    for visit in visits:  # (they agreed to appointment texts: more than one a day may go)
        check_record_consent(
            visit.patient,
            channel="sms",
            purpose="appointment",
            status="granted",
            method="written",
            acting_user=None,
        )
    manager = make_user(organization, Role.MANAGER, "morgan")
    open_as(page, str(live_server), manager, f"/schedule/absences/?location={location.public_id}")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # the doctor is away on Monday morning
    page.get_by_label("Who is away").select_option(label="Priya Raman")
    page.get_by_label("From").fill(f"{monday.isoformat()}T08:00")
    page.get_by_label("Until").fill(f"{monday.isoformat()}T12:00")
    page.get_by_label("Reason").fill("Jury duty")
    page.get_by_role("button", name="Record the absence").click()
    expect(page.get_by_role("status")).to_contain_text("Absence recorded: Jury duty")
    page.get_by_role("link", name="2 booked visits to rebook").click()
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # ask both patients to call, then cancel one as the provider's cancellation
    page.get_by_role("button", name="Ask all 2 patients to call for a new time").click()
    expect(page.get_by_role("status")).to_contain_text("Asked 2 patients to call")
    assert Message.objects.filter(template_key="appointment_rebook").count() == 2
    page.get_by_role("button", name="Cancel Luis Mora's visit: provider cancelled").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled: Luis Mora")
    cancelled = Appointment.objects.get(pk=visits[1].pk)
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == (
        AppointmentStatus.CANCELLED,
        "provider",
        "Jury duty",
    )
    expect(page.get_by_test_id(f"rebook-{visits[0].public_id}")).to_contain_text("Asked to call")


def test_a_manager_drafts_previews_and_applies_a_new_week(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    monday = _next_monday()
    late = check_book_appointment(
        patient,
        provider=doctor,
        location=location,
        appointment_type=follow_up,
        starts_at=datetime.combine(monday, time(15), tzinfo=CHICAGO),
        acting_user=None,
    )
    manager = make_user(organization, Role.MANAGER, "morgan")
    open_as(page, str(live_server), manager, f"/schedule/weeks/?location={location.public_id}")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # a draft from next Monday, copied from the week in force
    page.get_by_label("Provider").select_option(label="Priya Raman")
    page.get_by_label("Name of the week").fill("Mornings on Mondays")
    page.get_by_role("textbox", name="From").fill(monday.isoformat())
    page.get_by_role("button", name="Start the draft").click()
    expect(page.get_by_role("heading", name="Priya Raman: Mornings on Mondays")).to_be_visible()
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # Monday afternoon removed: the preview names Rosa's visit left outside
    page.get_by_role("button", name="Remove Monday 13:00-17:00, open for booking").click()
    expect(page.get_by_role("status")).to_contain_text("Block removed")
    expect(page.get_by_test_id("outside")).to_contain_text("Rosa Diaz")
    # a Saturday morning block added
    block = page.get_by_role("form", name="Add a block")
    block.get_by_label("Day of the week").select_option(label="Saturday")
    block.get_by_label("From").fill("09:00")
    block.get_by_label("Until").fill("11:00")
    block.get_by_role("button", name="Add the block").click()
    expect(page.get_by_test_id("week-hours")).to_contain_text("Saturday: 09:00-11:00 open")
    # applied
    page.get_by_role("button", name="Apply this week").click()
    expect(page.get_by_role("status")).to_contain_text("Mornings on Mondays is in force")
    week = ScheduleTemplate.objects.get(name="Mornings on Mondays")
    assert week.status == "applied"
    assert week.blocks.filter(weekday=5).count() == 1
    assert not week.blocks.filter(weekday=0, starts=time(13)).exists()
    late.refresh_from_db()
    assert late.status == AppointmentStatus.BOOKED


def test_a_manager_adds_a_visit_type_and_changes_it(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    organization, _location, _doctor, _follow_up, _patient = _clinic()
    open_as(
        page, str(live_server), make_user(organization, Role.MANAGER, "morgan"), "/schedule/types/"
    )
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_role("textbox", name="Name", exact=True).fill("Flu shot")
    page.get_by_label("Name in Spanish (for patients)").fill("Vacuna contra la gripe")
    page.get_by_label("Length in minutes").fill("10")
    page.get_by_label("Reminders, hours before (empty: 72, 24)").fill("24, 2")
    page.get_by_label("Patients may book it online").check()
    page.get_by_role("button", name="Add the visit type").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: Flu shot")
    assert axe_violations(page) == []
    flu = AppointmentType.objects.get(name="Flu shot")
    assert (flu.duration_minutes, flu.reminder_hours, flu.online) == (10, [24, 2], True)
    # a length that makes no sense is refused beside its field, nothing changed
    page.get_by_label("Length in minutes").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    flu.refresh_from_db()
    assert flu.duration_minutes == 10
    page.get_by_label("Length in minutes").fill("15")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: Flu shot")
    flu.refresh_from_db()
    assert flu.duration_minutes == 15


def test_the_desk_moves_a_whole_series_then_cancels_its_last_visits(
    page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    monday = _next_monday()
    booked, _ = check_book_series(
        patient,
        provider=doctor,
        location=location,
        appointment_type=follow_up,
        first_starts_at=datetime.combine(monday, time(9), tzinfo=CHICAGO),
        every_days=7,
        occurrences=4,
        on_conflict="refuse",
        acting_user=None,
    )
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/appointments/{booked[0].public_id}/move/",
    )
    # all four to 14:00, each on its own Monday
    page.get_by_label("Which visits").select_option(
        label="This and the later visits of the series (same time of day)"
    )
    page.get_by_role("button", name="Show open times").click()
    assert axe_violations(page) == []
    page.get_by_test_id("open-times").get_by_role("button", name="14:00 with Priya Raman").click()
    expect(page.get_by_role("status")).to_contain_text("Moved 4 visits of the series")
    visits = list(Appointment.objects.filter(series=booked[0].series).order_by("starts_at"))
    assert [v.starts_at for v in visits] == [
        datetime.combine(monday + timedelta(weeks=n), time(14), tzinfo=CHICAGO) for n in range(4)
    ]
    # then the third and fourth cancelled together from the day's schedule
    third = visits[2]
    page.goto(
        f"{live_server}/schedule/?location={location.public_id}"
        f"&day={(monday + timedelta(weeks=2)).isoformat()}"
    )
    row = page.get_by_test_id(f"visit-{third.public_id}")
    row.get_by_text("Cancel").first.click()
    row.get_by_label("Who cancelled").select_option(label="The patient")
    row.get_by_label("Reason").fill("Moving away")
    row.get_by_label("And the later visits of this series").check()
    row.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_role("status")).to_contain_text("2 visits of the series cancelled")
    statuses = [
        v.status for v in Appointment.objects.filter(series=third.series).order_by("starts_at")
    ]
    assert statuses == ["booked", "booked", "cancelled", "cancelled"]
