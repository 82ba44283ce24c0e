"""What the billing app adds to core's registry: its pages, the managers' home panel of billing
questions, a patient's statements on their page, the timeline's kind for a statement, the
inbox topic of billing questions (and who answers them), its FHIR types (Claim and
ExplanationOfBenefit, imported as statements: carebond/billing/fhir.py), the person link a
merge moves (a patient's statements follow the surviving record), and its KPIs (statements
sent, billing question answer time)."""

from __future__ import annotations

from carebond.billing.access import BILLING_MANAGERS, BILLING_STAFF
from carebond.billing.actions import TOUCHPOINT_KIND
from carebond.billing.kpi_selectors import billing_kpis
from carebond.billing.models import BillingStatement
from carebond.billing.panels import questions_panel, statements_panel
from carebond.billing.questions import is_billing_question
from carebond.billing.selectors import TOPIC, billing_handler_ids
from carebond.core.registry import (
    FhirResourceType,
    HomePanel,
    InboundTopic,
    NavEntry,
    PersonPanel,
    PersonRelation,
    TouchpointKindEntry,
    register_fhir_resource_type,
    register_home_panel,
    register_inbound_topic,
    register_kpi,
    register_navigation,
    register_person_panel,
    register_person_relation,
    register_touchpoint_kind,
)


def register() -> None:
    for kpi in billing_kpis():
        register_kpi(kpi)
    for resource_type in ("Claim", "ExplanationOfBenefit"):
        register_fhir_resource_type(
            FhirResourceType(resource_type, "carebond.billing.fhir", "billing")
        )
    register_touchpoint_kind(TouchpointKindEntry(TOUCHPOINT_KIND, "Billing statement", "billing"))
    register_inbound_topic(
        InboundTopic(TOPIC, "Billing", is_billing_question, billing_handler_ids, "billing")
    )
    register_navigation(NavEntry("Billing", "billing:statements", BILLING_STAFF, order=30))
    register_home_panel(
        HomePanel(
            key="billing.questions",
            title="Billing questions",
            template="billing/panels/questions.html",
            policy=BILLING_MANAGERS,
            context=questions_panel,
            order=6,
        )
    )
    register_person_panel(
        PersonPanel(
            key="billing.statements",
            title="Billing statements",
            template="billing/panels/statements.html",
            policy=BILLING_STAFF,
            context=statements_panel,
            order=60,
        )
    )
    register_person_relation(PersonRelation(BillingStatement, "patient"))
