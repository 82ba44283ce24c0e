"""Which FHIR version a document is: CareBond reads R4 (4.0.1) and says so when given DSTU2 or
STU3, instead of importing fields that mean something else there."""

from __future__ import annotations

from typing import Any

R4_RESOURCE_TYPES = frozenset(
    """Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse
    AuditEvent Basic Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement
    CarePlan CareTeam CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse
    ClinicalImpression CodeSystem Communication CommunicationRequest CompartmentDefinition
    Composition ConceptMap Condition Consent Contract Coverage CoverageEligibilityRequest
    CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric DeviceRequest
    DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis
    Encounter Endpoint EnrollmentRequest EnrollmentResponse EpisodeOfCare EventDefinition Evidence
    EvidenceVariable ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal
    GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy Immunization
    ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan Invoice
    Library Linkage List Location Measure MeasureReport Media Medication MedicationAdministration
    MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement MedicinalProduct
    MedicinalProductAuthorization MedicinalProductContraindication MedicinalProductIndication
    MedicinalProductIngredient MedicinalProductInteraction MedicinalProductManufactured
    MedicinalProductPackaged MedicinalProductPharmaceutical MedicinalProductUndesirableEffect
    MessageDefinition MessageHeader MolecularSequence NamingSystem NutritionOrder Observation
    ObservationDefinition OperationDefinition OperationOutcome Organization OrganizationAffiliation
    Parameters Patient PaymentNotice PaymentReconciliation Person PlanDefinition Practitioner
    PractitionerRole Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson
    RequestGroup ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject
    RiskAssessment RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen
    SpecimenDefinition StructureDefinition StructureMap Subscription Substance
    SubstanceNucleicAcid SubstancePolymer SubstanceProtein SubstanceReferenceInformation
    SubstanceSourceMaterial SubstanceSpecification SupplyDelivery SupplyRequest Task
    TerminologyCapabilities TestReport TestScript ValueSet VerificationResult
    VisionPrescription""".split()  # noqa: SIM905 (a readable list of 146 names)
)

# Resource types that exist only in older versions, and what R4 calls them now.
_DSTU2_ONLY = {
    "Conformance": "CapabilityStatement",
    "Order": "Task or a request resource",
    "OrderResponse": "Task",
    "DiagnosticOrder": "ServiceRequest",
    "MedicationOrder": "MedicationRequest",
    "DeviceUseRequest": "DeviceRequest",
}
_STU3_ONLY = {
    "ReferralRequest": "ServiceRequest",
    "ProcedureRequest": "ServiceRequest",
    "ProcessRequest": "Task",
    "ProcessResponse": "Task",
    "EligibilityRequest": "CoverageEligibilityRequest",
    "EligibilityResponse": "CoverageEligibilityResponse",
    "DeviceComponent": "DeviceDefinition",
    "ImagingManifest": "ImagingStudy",
    "Sequence": "MolecularSequence",
    "DataElement": "StructureDefinition",
    "ServiceDefinition": "ActivityDefinition",
    "BodySite": "BodyStructure",
}
_VERSION_NAMES = {"1.0": "DSTU2", "3.0": "STU3", "4.3": "R4B", "5.0": "R5", "6.0": "R6"}
_R4 = "CareBond imports FHIR R4 (4.0.1) only; convert the file to R4 first."


def _named(version: str) -> str:
    for prefix, name in _VERSION_NAMES.items():
        if version.startswith(prefix):
            return f"FHIR {name} ({version})"
    return f"FHIR {version}"


def detect_other_version(resource: dict[str, Any]) -> str:
    """An explanation if the resource is recognisably not R4, else ''. Looks at the resource
    and, for a Bundle, at its entries' resource types (cheap: no deep walk)."""
    meta: dict[str, Any] = resource["meta"] if isinstance(resource.get("meta"), dict) else {}
    declared = resource.get("fhirVersion") or meta.get("fhirVersion")
    if isinstance(declared, str) and declared and not declared.startswith("4.0"):
        return f"This is {_named(declared[:20])}. {_R4}"
    types = [resource.get("resourceType")]
    if resource.get("resourceType") == "Bundle" and isinstance(resource.get("entry"), list):
        types += [
            e["resource"].get("resourceType")
            for e in resource["entry"]
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        ]
    for resource_type in (t for t in types if isinstance(t, str)):
        if resource_type in _DSTU2_ONLY:
            return (
                f"This looks like FHIR DSTU2: it contains {resource_type}, which R4 replaced "
                f"with {_DSTU2_ONLY[resource_type]}. {_R4}"
            )
        if resource_type in _STU3_ONLY:
            return (
                f"This looks like FHIR STU3 (or DSTU2): it contains {resource_type}, which R4 "
                f"replaced with {_STU3_ONLY[resource_type]}. {_R4}"
            )
    return _dstu2_fields(resource)


def _dstu2_fields(resource: dict[str, Any]) -> str:
    """DSTU2 resources that exist in R4 under the same name, told apart by their fields."""
    resource_type = (
        resource.get("resourceType") if isinstance(resource.get("resourceType"), str) else ""
    )
    if resource_type in {"Encounter", "Condition"} and "patient" in resource:
        return (
            f"This looks like FHIR DSTU2: {resource_type}.patient became "
            f"{resource_type}.subject in R4. {_R4}"
        )
    if resource_type == "Patient" and "careProvider" in resource:
        return f"This looks like FHIR DSTU2: Patient.careProvider is DSTU2 only. {_R4}"
    if resource_type == "Encounter" and isinstance(resource.get("class"), str):
        return (
            f"This looks like FHIR DSTU2: Encounter.class is a code there and a Coding in R4. {_R4}"
        )
    return ""
