"""What the messaging app adds to core's registry: the inbox and outreach pages, the home panel
of messages to answer, a person's messages on their page, the person links a merge moves, the
worker's sending scans, how the audit trail names messages and conversations, and its KPIs
(inbox reply time, questions answered within a working day, the opt-out rate)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from carebond.core.registry import (
    AuditNames,
    FhirResourceType,
    HistoryTable,
    HomePanel,
    NavEntry,
    PersonPanel,
    PersonRelation,
    ScanEntry,
    TouchpointDetails,
    register_audit_names,
    register_fhir_resource_type,
    register_history_table,
    register_home_panel,
    register_kpi,
    register_navigation,
    register_person_panel,
    register_person_relation,
    register_scan,
    register_touchpoint_details,
)
from carebond.messaging.access import INBOX_USERS, OUTREACH_MANAGERS
from carebond.messaging.campaign_actions import scan_finished_campaigns
from carebond.messaging.dispatch_actions import dispatch_due_messages, scan_stale_sends
from carebond.messaging.fhir import communication_elements
from carebond.messaging.kpi_selectors import messaging_kpis
from carebond.messaging.models import Conversation, Message, RevocationRequest, SecureNote
from carebond.messaging.panels import campaigns_panel, person_messages_panel, to_answer_panel
from carebond.messaging.selectors import conversation_names, message_names


def register() -> None:
    for kpi in messaging_kpis():
        register_kpi(kpi)
    register_fhir_resource_type(
        FhirResourceType("CommunicationRequest", "carebond.messaging.fhir", "messaging")
    )
    register_touchpoint_details(
        TouchpointDetails("messaging.message", communication_elements, "messaging")
    )
    register_navigation(NavEntry("Inbox", "messaging:inbox", INBOX_USERS, order=25))
    register_navigation(NavEntry("Outreach", "messaging:campaigns", OUTREACH_MANAGERS, order=55))
    register_home_panel(
        HomePanel(
            key="messaging.to_answer",
            title="Messages to answer",
            template="messaging/panels/to_answer.html",
            policy=INBOX_USERS,
            context=to_answer_panel,
            order=5,
        )
    )
    register_home_panel(
        HomePanel(
            key="messaging.campaigns",
            title="Campaigns",
            template="messaging/panels/campaigns.html",
            policy=OUTREACH_MANAGERS,
            context=campaigns_panel,
            order=40,
        )
    )
    register_person_panel(
        PersonPanel(
            key="messaging.messages",
            title="Messages",
            template="messaging/panels/messages.html",
            policy=INBOX_USERS,
            context=person_messages_panel,
            order=15,
        )
    )
    register_person_relation(PersonRelation(Message, "person"))
    # The messages: their delivery is written on the row itself (sent, delivered, failed),
    # so there is no table of delivery events to partition beside it.
    register_history_table(HistoryTable(Message, "created_at", retention="messages"))
    register_person_relation(PersonRelation(Conversation, "person"))
    register_person_relation(PersonRelation(RevocationRequest, "person"))
    register_person_relation(PersonRelation(SecureNote, "person"))
    # Sending runs every turn of the worker's loop (the outbox must not wait a minute).
    register_scan(ScanEntry("dispatch_messages", dispatch_due_messages, timedelta(0)))
    stale_every = timedelta(seconds=settings.MESSAGING_STALE_SCAN_SECONDS)
    register_scan(ScanEntry("scan_stale_sends", scan_stale_sends, stale_every))
    register_scan(
        ScanEntry("scan_finished_campaigns", scan_finished_campaigns, timedelta(minutes=1))
    )
    register_audit_names(AuditNames("messaging.message", message_names))
    register_audit_names(AuditNames("messaging.conversation", conversation_names))
