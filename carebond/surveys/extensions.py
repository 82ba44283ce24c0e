"""What the surveys app adds to core's registry: the Surveys and Recovery pages, the managers'
home panels (patient experience, the recovery queue, the staff pulse, recognition
suggestions, "you said, we did" actions due or overdue), its KPIs (patient experience, service
recovery, the staff pulse: carebond/surveys/kpi_selectors.py) and their "survey" dimension, a
person-page panel (their survey invitations, recovery cases and a complaint form), the scans
(invitations, reminders and expiry; overdue recovery cases), its timeline kinds, the person
links a merge moves, and its FHIR types (Questionnaire, QuestionnaireResponse:
carebond/surveys/fhir.py)."""

from __future__ import annotations

from datetime import timedelta

from carebond.core.kpis import KpiDimension
from carebond.core.registry import (
    FhirResourceType,
    HomePanel,
    NavEntry,
    PersonPanel,
    PersonRelation,
    ScanEntry,
    TouchpointKindEntry,
    register_fhir_resource_type,
    register_home_panel,
    register_kpi,
    register_kpi_dimension,
    register_navigation,
    register_person_panel,
    register_person_relation,
    register_scan,
    register_touchpoint_kind,
)
from carebond.surveys.access import COMPLAINT_LOGGERS, SURVEY_MANAGERS, SURVEY_READERS
from carebond.surveys.distribution_actions import scan_survey_invitations
from carebond.surveys.feedback_selectors import due_actions_panel
from carebond.surveys.kpi_selectors import survey_names, surveys_kpis
from carebond.surveys.models import (
    Invitation,
    RecognitionSuggestion,
    RecoveryCase,
    Response,
)
from carebond.surveys.panels import (
    experience_panel,
    person_feedback_panel,
    pulse_panel,
    recognition_panel,
    recovery_panel,
)
from carebond.surveys.recovery_actions import escalate_overdue_cases


def register() -> None:
    for kpi in surveys_kpis():
        register_kpi(kpi)
    register_kpi_dimension(KpiDimension("survey", "Survey", survey_names, "surveys"))
    for resource_type in ("Questionnaire", "QuestionnaireResponse"):
        register_fhir_resource_type(
            FhirResourceType(resource_type, "carebond.surveys.fhir", "surveys")
        )
    register_navigation(NavEntry("Surveys", "surveys:home", SURVEY_READERS, order=40))
    register_navigation(NavEntry("Recovery", "surveys:recovery", SURVEY_MANAGERS, order=41))
    for key, title, template, policy, context, order in (
        ("recovery", "Service recovery", "recovery", SURVEY_MANAGERS, recovery_panel, 6),
        ("experience", "Patient experience", "experience", SURVEY_READERS, experience_panel, 30),
        ("pulse", "Staff pulse", "pulse", SURVEY_READERS, pulse_panel, 31),
        ("recognition", "Praise to pass on", "recognition", SURVEY_MANAGERS, recognition_panel, 32),
        ("said", "You said, we did", "said", SURVEY_MANAGERS, due_actions_panel, 33),
    ):
        register_home_panel(
            HomePanel(
                key=f"surveys.{key}",
                title=title,
                template=f"surveys/panels/{template}.html",
                policy=policy,
                context=context,
                order=order,
            )
        )
    register_person_panel(
        PersonPanel(
            key="surveys.feedback",
            title="Feedback and recovery",
            template="surveys/panels/person_feedback.html",
            policy=COMPLAINT_LOGGERS,
            context=person_feedback_panel,
            order=45,
        )
    )
    register_scan(ScanEntry("surveys.invitations", scan_survey_invitations, timedelta(minutes=5)))
    register_scan(
        ScanEntry("surveys.recovery_escalation", escalate_overdue_cases, timedelta(minutes=5))
    )
    register_touchpoint_kind(TouchpointKindEntry("survey_response", "Survey answered", "surveys"))
    register_touchpoint_kind(TouchpointKindEntry("service_recovery", "Service recovery", "surveys"))
    register_person_relation(PersonRelation(Invitation, "person", unique_with=("subject_key",)))
    register_person_relation(PersonRelation(Invitation, "provider"))
    register_person_relation(PersonRelation(Response, "person"))
    register_person_relation(PersonRelation(Response, "provider"))
    register_person_relation(PersonRelation(RecoveryCase, "person"))
    register_person_relation(
        PersonRelation(RecognitionSuggestion, "staff", unique_with=("comment",))
    )
