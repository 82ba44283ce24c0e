"""What each role sees in the navigation and on its home page (data, so templates stay dumb)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from carebond.core.permissions import (
    ADMINS,
    ANY_STAFF,
    MANAGERS,
    PHI_READERS,
    RECORD_KEEPERS,
    AccessPolicy,
    Role,
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    policy: AccessPolicy

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Home", "core:home", ANY_STAFF),
    NavItem("People", "people:search", PHI_READERS),
    NavItem("Duplicates", "people:duplicates", RECORD_KEEPERS),
    NavItem("Organisation", "core:organization", MANAGERS),
    NavItem("FHIR import", "imports:fhir", MANAGERS),
    # Value maps: aggregates, so the analyst too (carebond.value_maps.access.VALUE_MAP_READERS).
    NavItem(
        "Value maps",
        "value_maps:studies",
        AccessPolicy(
            "value_map_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
        ),
    ),
    NavItem("Users", "accounts:users", ADMINS),
    NavItem("Audit trail", "audit:events", ADMINS),
    NavItem("API", "api-1.0.0:openapi-view", ANY_STAFF),
)


def navigation_for(role: str | None) -> list[NavItem]:
    return [item for item in NAVIGATION if item.policy.allows(role)]


@dataclass(frozen=True)
class HomePanel:
    title: str
    empty_state: str


HOME_PANELS: dict[str, tuple[HomePanel, ...]] = {
    Role.ADMIN: (
        HomePanel(
            "Users and security",
            "Staff accounts, MFA enrolment and locked sign-ins "
            "appear here. Add users from the Users page.",
        ),
        HomePanel(
            "Audit trail",
            "Every read and change of patient information is recorded and "
            "hash-chained. Open the Audit trail to filter and export it.",
        ),
        HomePanel(
            "Integrations",
            "EHR data arrives through FHIR R4: upload files on the FHIR import page, or let the "
            "EHR post to /fhir/R4 with an API token. Every import is listed there.",
        ),
    ),
    Role.MANAGER: (
        HomePanel(
            "Patient experience",
            "Satisfaction, NPS and comment themes will appear here "
            "once the first surveys come back.",
        ),
        HomePanel("Service recovery", "Unhappy patients who need a call back will queue here."),
        HomePanel(
            "Staff pulse",
            "Anonymous pulse-survey results will appear here, shown only "
            "for groups large enough to keep answers anonymous.",
        ),
    ),
    Role.CLINICIAN: (
        HomePanel(
            "Today's patients",
            "Your visits for today and what each patient told us matters to them will appear here.",
        ),
        HomePanel(
            "Patient partnership",
            "Jobs your patients have taken on (fill a prescription, "
            "book a follow-up) and their progress will appear here.",
        ),
    ),
    Role.FRONT_DESK: (
        HomePanel("Today's schedule", "Arrivals, check-ins and waiting times will appear here."),
        HomePanel(
            "Messages to answer", "Patients' replies to reminders and outreach will queue here."
        ),
    ),
    Role.LIAISON: (
        HomePanel(
            "Referral sources",
            "Referring practitioners and organisations you look after, "
            "with their referral volume and trend, will appear here.",
        ),
        HomePanel(
            "Referral loop",
            "Referrals waiting to be closed, and early signs of leakage, will appear here.",
        ),
    ),
    Role.ANALYST: (
        HomePanel(
            "Key indicators",
            "Satisfaction, NPS, retention, appointment adherence, "
            "referral volume and relationship health will appear here as aggregates.",
        ),
        HomePanel("Reports", "Scheduled and saved reports will be listed here."),
    ),
}
