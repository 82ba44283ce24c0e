"""The shared inbox in a browser: the front desk answers from the home panel, adds a note,
takes the conversation, decides a possible opt-out and closes it; a reply naming a diagnosis is
stopped at its field; a manager edits a template and sees the linter and the preview."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.core.permissions import Role
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.messaging.inbound_actions import do_receive_text
from carebond.messaging.models import (
    Campaign,
    Conversation,
    InboxCapacity,
    InboxNote,
    Message,
    MessageTemplate,
    OfficeClosure,
    OfficeHours,
    RevocationRequest,
    SecureNote,
    Sender,
)
from carebond.people.models import Person
from carebond.people.selectors import consent_in_force
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import axe_violations, horizontal_overflow
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _clinic() -> tuple[Organization, Sender, Person]:
    organization = make_organization("alder", "Alder Family Practice")
    Location.objects.create(organization=organization, name="Main", phone="+1 312 555 0100")
    ensure_built_in_templates(organization)
    sender = check_add_sender(
        organization,
        channel="sms",
        address="+13125550100",
        label="Clinic line",
        purposes=["appointment", "care", "survey", "reply"],
    )
    patient = make_patient(organization, "Ines", "Duarte", phone="+13125550123")
    return organization, sender, patient


def open_the_conversation(
    page: Page, live_server: object, organization: Organization
) -> Conversation:
    """The front desk opens the organisation's one conversation."""
    conversation = Conversation.objects.get()
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/messaging/inbox/{conversation.public_id}/",
    )
    return conversation


@pytest.mark.parametrize("width", [1280, 390])
def test_the_front_desk_answers_notes_takes_and_closes_a_conversation(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, sender, _ = _clinic()
    do_receive_text(sender, from_number="+13125550123", body="Can I come at 4?", provider_id="SM1")
    desk = make_user(organization, Role.FRONT_DESK, "jordan")
    open_as(page, str(live_server), desk)
    # from the home panel to the conversation
    page.get_by_test_id("to-answer").get_by_role("link", name="Ines Duarte").click()
    expect(page.get_by_test_id("thread")).to_contain_text("Can I come at 4?")
    # a reply naming a diagnosis is stopped at its field, nothing queued
    page.get_by_label("Your reply").fill("Your biopsy came back fine, see you at 4")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("may reveal health information")).to_be_visible()
    assert not Message.objects.filter(direction="outbound").exists()
    # an ordinary reply is queued to the number the text came from
    page.get_by_label("Your reply").fill("Yes, 4 pm is fine. See you then!")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply queued")
    reply = Message.objects.get(direction="outbound")
    assert (reply.body, reply.to_address, reply.status) == (
        "Yes, 4 pm is fine. See you then!",
        "+13125550123",
        "queued",
    )
    # a private note
    page.get_by_label("Private note (never sent)").fill("Prefers afternoons")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_test_id("notes")).to_contain_text("Prefers afternoons")
    assert InboxNote.objects.get().text == "Prefers afternoons"
    # take it
    page.get_by_label("Assigned to").select_option(str(desk.pk))
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_contain_text("Assigned to")
    assert Conversation.objects.get().assigned_to == desk
    # close it
    page.get_by_label("Status").select_option("closed")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_contain_text("closed")
    assert Conversation.objects.get().status == "closed"


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(
    ("button", "revoked"), [("Record opt-out", True), ("Not an opt-out", False)]
)
def test_staff_decide_a_reply_that_reads_like_an_opt_out(
    button: str, revoked: bool, width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, sender, patient = _clinic()
    do_receive_text(sender, from_number="+13125550123", body="no more texts pls", provider_id="SM2")
    open_the_conversation(page, live_server, organization)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_be_visible()
    assert RevocationRequest.objects.get().status == ("confirmed" if revoked else "dismissed")
    record = consent_in_force(patient.pk, channel="sms", purpose="appointment")
    assert (record is not None and record.status == "revoked") is revoked


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_edits_a_template_with_the_linter_and_a_preview(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, _, _ = _clinic()
    template = MessageTemplate.objects.get(
        organization=organization, key="appointment_reminder", channel="sms", language="en"
    )
    open_as(page, str(live_server), make_user(organization, Role.MANAGER, "morgan"))
    if width < 600:  # the navigation folds behind its Menu button on a phone
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outreach").click()
    page.get_by_role("navigation", name="Outreach").get_by_role("link", name="Templates").click()
    rows = page.get_by_test_id("templates").locator("tbody tr")
    row = rows.filter(has_text="Appointment reminder").filter(has_text="Text message")
    row.filter(has=page.get_by_role("cell", name="en", exact=True)).get_by_role("link").click()
    expect(page.get_by_test_id("segments")).to_contain_text("1 SMS segment")
    expect(page.get_by_test_id("preview")).to_contain_text("Hi Ines")
    text = page.get_by_label("Text")
    text.fill("Hi {{ preferred_name }}, your {{ specialty }} visit is {{ appointment_time }}.")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_text("reveals health information")).to_be_visible()
    template.refresh_from_db()
    assert "specialty" not in template.body_text
    text.fill("Hi {{ preferred_name }}, see you {{ appointment_time }}.")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    template.refresh_from_db()
    assert template.body_text == "Hi {{ preferred_name }}, see you {{ appointment_time }}."


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_finds_who_an_unknown_number_is_and_links_the_conversation(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, sender, _ = _clinic()
    lena = make_patient(organization, "Lena", "Hart")
    do_receive_text(sender, from_number="+13125550188", body="New number, Lena", provider_id="SM3")
    conversation = open_the_conversation(page, live_server, organization)
    # the triage page passes the accessibility gate at this width
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # a search too short is explained; a real one finds her
    page.get_by_label("Find the person").fill("L")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_text("Type at least")).to_be_visible()
    page.get_by_label("Find the person").fill("Lena Hart")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("button", name="Link to Lena Hart").click()
    expect(page.get_by_role("status")).to_contain_text("Linked")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lena Hart")
    conversation.refresh_from_db()
    assert conversation.person == lena
    assert lena.touchpoints.filter(kind="message").count() == 1


def _recall_patients(organization: Organization) -> None:
    """Two patients last seen 18 months ago: one who agreed to news texts, one who did not."""
    from carebond.people.actions import check_record_consent
    from carebond.touchpoints.actions import record_touchpoint

    check_add_sender(
        organization,
        channel="sms",
        address="+13125550199",
        label="News line",
        purposes=["marketing"],
    )
    for given, phone, agreed in (("Ada", "+13125550201", True), ("Ben", "+13125550202", False)):
        person = make_patient(organization, given, "Cole", phone=phone, time_zone="America/Chicago")
        record_touchpoint(
            person,
            kind="visit",
            channel="in_person",
            direction="inbound",
            occurred_at=clock.now() - timedelta(days=540),
        )
        if agreed:
            check_record_consent(
                person,
                channel="sms",
                purpose="marketing",
                status="granted",
                method="written",
                acting_user=None,
            )


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_builds_previews_launches_and_cancels_a_recall(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, _, _ = _clinic()
    _recall_patients(organization)
    open_as(page, str(live_server), make_user(organization, Role.MANAGER, "morgan"))
    if width < 600:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outreach").click()
    assert axe_violations(page) == []
    page.get_by_role("link", name="New campaign").click()
    assert axe_violations(page) == []
    # a public shortener is refused at its field
    page.get_by_label("Name").fill("Check-up recall")
    page.get_by_label("Message").select_option("recall:sms")
    page.get_by_label("Last visit more than").fill("12")
    page.get_by_label("Link for").fill("https://bit.ly/x")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_text("bit.ly is a public link shortener")).to_be_visible()
    assert not Campaign.objects.exists()
    page.get_by_label("Link for").fill("https://alder.example/book")
    page.get_by_role("button", name="Save and preview").click()
    # the preview: one will get it, one is left out for want of consent
    expect(page.get_by_test_id("preview-summary")).to_contain_text("1 will get it")
    expect(page.get_by_test_id("exclusions")).to_contain_text("No consent on record.")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # preview at a later time, then launch for that time
    start = (clock.now() + timedelta(days=2)).astimezone(ZoneInfo(organization.time_zone))
    page.get_by_label("Start sending at").fill(start.strftime("%Y-%m-%dT10:00"))
    page.get_by_role("button", name="Preview at this time").click()
    page.get_by_role("button", name="Launch at").click()
    expect(page.get_by_role("status")).to_contain_text("Launched: 1 message queued")
    campaign = Campaign.objects.get()
    queued = Message.objects.get(campaign=campaign, status="queued")
    assert queued.due_at.astimezone(ZoneInfo(organization.time_zone)).hour == 10
    expect(page.get_by_test_id("results")).to_be_visible()
    # cancel it before it goes
    page.get_by_role("button", name="Cancel campaign").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled")
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_sets_the_office_hours(width: int, page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, _, _ = _clinic()
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.MANAGER, "morgan"),
        "/messaging/office-hours/",
    )
    expect(page.get_by_test_id("open-now")).to_contain_text("always open")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_role("textbox", name="Office hours").fill("Mon 9-5")
    page.get_by_role("button", name="Save office hours").click()
    expect(page.get_by_text("'9-5' is not like 08:00-12:00")).to_be_visible()
    page.get_by_role("textbox", name="Office hours").fill(
        "Mon 08:00-12:00, 13:00-17:00\nSat 09:00-12:00"
    )
    page.get_by_label("Closed days").fill("2026-12-25 Christmas Day")
    page.get_by_role("button", name="Save office hours").click()
    expect(page.get_by_role("status")).to_contain_text("Office hours saved")
    expect(page.get_by_test_id("open-now")).not_to_contain_text("always open")
    assert OfficeHours.objects.filter(organization=organization).count() == 3
    assert OfficeClosure.objects.get(organization=organization).name == "Christmas Day"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_answers_with_a_canned_reply(width: int, page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, sender, _ = _clinic()
    do_receive_text(sender, from_number="+13125550123", body="Running late!", provider_id="SM9")
    open_the_conversation(page, live_server, organization)
    page.get_by_role("combobox", name="Canned reply").select_option("canned_running_late")
    page.get_by_role("button", name="Use").click()
    expect(page.get_by_label("Your reply")).to_have_value(
        "Thank you for letting us know. We can hold your visit for up to 15 minutes; after that "
        "we may need to move it."
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply queued")
    reply = Message.objects.get(direction="outbound")
    assert reply.body.startswith("Thank you for letting us know.")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_sets_capacity_and_the_desk_takes_the_next_one(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, sender, _ = _clinic()
    do_receive_text(sender, from_number="+13125550123", body="Any news?", provider_id="SM7")
    desk = make_user(organization, Role.FRONT_DESK, "jordan")
    manager = make_user(organization, Role.MANAGER, "morgan")
    open_as(page, str(live_server), manager, "/messaging/office-hours/")
    page.get_by_label("Front_Desk Tester (Front desk)").fill("1")
    page.get_by_role("button", name="Save capacity").click()
    expect(page.get_by_role("status")).to_contain_text("Inbox capacity saved")
    assert InboxCapacity.objects.get(user=desk).open_conversations == 1
    page.context.clear_cookies()
    open_as(page, str(live_server), desk, "/messaging/inbox/")
    page.get_by_role("button", name="Take the next one").click()
    expect(page.get_by_role("status")).to_contain_text("It is yours now")
    assert Conversation.objects.get().assigned_to == desk


@pytest.mark.parametrize("width", [1280, 390])
def test_a_sensitive_answer_goes_as_a_secure_message_the_patient_opens(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, sender, patient = _clinic()
    do_receive_text(sender, from_number="+13125550123", body="My results?", provider_id="SM5")
    open_the_conversation(page, live_server, organization)
    page.get_by_label("Your reply").fill("Your biopsy result is benign.")
    page.get_by_label("Send as a secure message").check()
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Reply queued")
    note = SecureNote.objects.get()
    assert "biopsy" not in Message.objects.get(direction="outbound").body
    # the patient, signed out, opens the link on their phone
    page.context.clear_cookies()
    page.goto(f"{live_server}/messaging/secure/{note.public_id}/")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_label("Your date of birth").fill("1990-01-01")
    page.get_by_role("button", name="Read the message").click()
    expect(page.get_by_test_id("secure-problem")).to_contain_text("does not match")
    assert patient.birth_date is not None
    page.get_by_label("Your date of birth").fill(patient.birth_date.isoformat())
    page.get_by_role("button", name="Read the message").click()
    expect(page.get_by_test_id("secure-body")).to_contain_text("Your biopsy result is benign.")
    note.refresh_from_db()
    assert (note.failed_attempts, note.opened_at is not None) == (1, True)
