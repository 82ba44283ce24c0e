"""The demo organisation: realistic, deterministic by seed, and safe to build twice.

Later capabilities add their own sections here so that the demo always shows everything.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.db import transaction

from carebond.accounts.actions import (
    check_create_organization,
    do_create_department,
    do_create_location,
    do_create_user,
    do_set_password,
)
from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Department, Location, Organization
from carebond.core.permissions import Role
from carebond.demo.billing import build_billing
from carebond.demo.fhir import build_fhir_feed
from carebond.demo.history import build_history
from carebond.demo.messaging import build_messaging
from carebond.demo.noshow import offer_help_to_the_first_at_risk
from carebond.demo.people import DemoPeople, build_people
from carebond.demo.privacy import build_privacy
from carebond.demo.scheduling import build_scheduling
from carebond.demo.surveys import build_surveys
from carebond.demo.value_maps import build_value_maps

SIZES = ("small", "medium", "large")

# Usernames are the roles' names, so a newcomer knows what each one shows.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", Role.ADMIN, "Avery", "Okafor"),
    ("manager", Role.MANAGER, "Morgan", "Delgado"),
    ("clinician", Role.CLINICIAN, "Dr. Priya", "Raman"),
    ("frontdesk", Role.FRONT_DESK, "Jordan", "Lee"),
    ("liaison", Role.LIAISON, "Casey", "Brennan"),
    ("analyst", Role.ANALYST, "Riley", "Nakamura"),
    ("privacy", Role.PRIVACY_OFFICER, "Dana", "Whitaker"),
)

LOCATIONS = (
    ("Riverbend Main Clinic", "1200 River Road, Springfield, IL 62701", "+1 217 555 0100", ""),
    ("Northside Family Clinic", "88 Maple Avenue, Springfield, IL 62702", "+1 217 555 0144", ""),
    ("Riverbend Telehealth", "Virtual visits", "+1 217 555 0199", ""),
)
DEPARTMENTS = (
    ("Family Medicine", "Riverbend Main Clinic"),
    ("Pediatrics", "Northside Family Clinic"),
    ("Cardiology", "Riverbend Main Clinic"),
    ("Behavioral Health", "Riverbend Telehealth"),
    ("Front Office", "Riverbend Main Clinic"),
    ("Patient Experience", None),
)
_WORDS = (
    "maple",
    "harbor",
    "meadow",
    "cedar",
    "lantern",
    "willow",
    "summit",
    "river",
    "clover",
    "birch",
    "prairie",
    "copper",
    "orchard",
    "beacon",
    "thistle",
    "juniper",
)


@dataclass
class DemoResult:
    organization: Organization
    credentials: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, pw
    other_organization: Organization | None = None
    people: DemoPeople | None = None


def demo_password(rng: random.Random) -> str:
    return f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{rng.randint(100, 999)}"


@transaction.atomic
def build_demo(*, seed: int = 42, size: str = "small") -> DemoResult:
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    rng = random.Random(seed)
    organization = _organization("riverbend", "Riverbend Family Health", "America/Chicago")
    locations = {
        name: _location(organization, name, address, phone, tz)
        for name, address, phone, tz in LOCATIONS
    }
    departments = {
        name: _department(organization, name, locations.get(location_name or ""))
        for name, location_name in DEPARTMENTS
    }
    result = DemoResult(organization=organization)
    users: dict[str, User] = {}
    for username, role, first, last in DEMO_USERS:
        password = demo_password(rng)
        users[username] = _user(organization, username, role, first, last, password)
        result.credentials.append((username, role, password))
    # Each section draws from its own seeded stream, so adding one never changes another.
    result.people = build_people(
        organization,
        rng=random.Random(f"{seed}-people"),
        size=size,
        users=users,
        locations=list(locations.values()),
        departments=departments,
    )
    build_value_maps(
        organization,
        rng=random.Random(f"{seed}-value-maps"),
        people=result.people,
        acting_user=users["manager"],
    )
    build_fhir_feed(
        organization,
        rng=random.Random(f"{seed}-fhir"),
        people=result.people,
        now=clock.now(),
    )
    build_messaging(
        organization,
        rng=random.Random(f"{seed}-messaging"),
        people=result.people,
        users=users,
    )
    build_scheduling(
        organization,
        rng=random.Random(f"{seed}-scheduling"),
        people=result.people,
        users=users,
        location=locations["Riverbend Main Clinic"],
    )
    build_billing(
        organization,
        rng=random.Random(f"{seed}-billing"),
        people=result.people,
        users=users,
    )
    # (after billing: the billing micro-survey asks about its statements)
    build_surveys(
        organization,
        rng=random.Random(f"{seed}-surveys"),
        people=result.people,
        users=users,
        locations=locations,
        departments=departments,
    )
    # Last: the two years before (written as history, after the sections that act today),
    # rolled up for the dashboards.
    build_history(
        organization,
        rng=random.Random(f"{seed}-history"),
        people=result.people,
        users=users,
        locations=locations,
    )
    offer_help_to_the_first_at_risk(organization, users.get("frontdesk"))
    build_privacy(organization, people=result.people, users=users)

    # A second tenant shows that nothing crosses organisations.
    other = _organization("lakeside", "Lakeside Pediatrics", "America/New_York")
    _location(
        other,
        "Lakeside Children's Clinic",
        "5 Harbor Street, Lakeview, NY 14850",
        "+1 607 555 0123",
        "",
    )
    password = demo_password(rng)
    _user(other, "lakeside-admin", Role.ADMIN, "Sam", "Whitfield", password)
    result.credentials.append(("lakeside-admin", Role.ADMIN, password))
    result.other_organization = other
    return result


def _organization(slug: str, name: str, time_zone: str) -> Organization:
    existing = Organization.objects.filter(slug=slug).first()
    return existing or check_create_organization(name=name, time_zone=time_zone, slug=slug)


def _location(
    organization: Organization, name: str, address: str, phone: str, time_zone: str
) -> Location:
    existing = Location.objects.filter(organization=organization, name=name).first()
    return existing or do_create_location(
        organization,
        name=name,
        address=address,
        phone=phone,
        time_zone=time_zone,
        acting_user=None,
    )


def _department(organization: Organization, name: str, location: Location | None) -> Department:
    existing = Department.objects.filter(organization=organization, name=name).first()
    return existing or do_create_department(
        organization, name=name, location=location, acting_user=None
    )


def _user(
    organization: Organization, username: str, role: str, first: str, last: str, password: str
) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        # The printed password must work, whichever seed built the demo first.
        if existing.is_demo_account and not existing.check_password(password):
            do_set_password(existing, password=password, acting_user=None)
        return existing
    return do_create_user(
        organization,
        username=username,
        role=role,
        password=password,
        email=f"{username}@{organization.slug}.example.org",
        first_name=first,
        last_name=last,
        is_demo_account=True,
        acting_user=None,
    )
