"""The patient's video visit page on a phone, in Spanish: the device check asks the browser for
the camera and microphone (fake devices here) and says they work; the room opens shortly before
the visit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from carebond.core import clock
from carebond.scheduling.models import Appointment, AppointmentType, VisitMode
from tests.browser.accessibility import axe_violations, horizontal_overflow
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_schedule import _clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def _video_visit(starts_at: datetime) -> Appointment:
    organization, location, doctor, _follow_up, patient = _clinic()
    patient.preferred_language = "es"
    patient.save()
    video = AppointmentType.objects.create(
        organization=organization,
        key="video",
        name="Video follow-up",
        duration_minutes=20,
        mode=VisitMode.TELEHEALTH,
    )
    return Appointment.objects.create(
        organization=organization,
        patient=patient,
        provider=doctor,
        location=location,
        appointment_type=video,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=20),
        duration_minutes=20,
        time_zone="America/Chicago",
        group_key="video",
        booked_at=clock.now(),
        telehealth_token="t" * 32,
    )


def test_the_patient_checks_camera_and_microphone_and_joins_in_spanish(
    browser: Browser, live_server: object
) -> None:
    visit = _video_visit(clock.now() + timedelta(minutes=5))
    with_devices = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *FAKE_MEDIA]
    )
    context = with_devices.new_context(viewport={"width": 390, "height": 844})
    context.grant_permissions(["camera", "microphone"])
    page: Page = context.new_page()
    try:
        page.goto(f"{live_server}/visit/{visit.telehealth_token}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Su consulta por video")
        expect(page.get_by_test_id("join-state")).to_have_text("La sala está abierta.")
        page.get_by_role("button", name="Probar mi cámara y micrófono").click()
        expect(page.get_by_test_id("device-result")).to_have_text(
            "Su cámara y micrófono funcionan."
        )
        room = page.get_by_role("link", name="Entrar a la consulta por video")
        assert room.get_attribute("href") == f"https://meet.jit.si/carebond-{'t' * 32}"
        assert axe_violations(page) == []
        assert horizontal_overflow(page) == 0
    finally:
        context.close()
        with_devices.close()


def test_before_the_room_opens_the_page_says_when(page: Page, live_server: object) -> None:
    visit = _video_visit(clock.now() + timedelta(hours=3))
    page.goto(f"{live_server}/visit/{visit.telehealth_token}/?lang=en")
    expect(page.get_by_test_id("join-state")).to_contain_text("The room opens at")
    expect(page.get_by_role("link", name="Join the video visit")).to_have_count(0)
