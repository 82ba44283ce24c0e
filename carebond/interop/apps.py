from importlib import import_module

from django.apps import AppConfig

from carebond.core.registry import FhirResourceType, register_fhir_resource_type

# Interop's type modules (carebond/interop/resources/), in the order the CapabilityStatement
# lists the types they serve.
_TYPE_MODULES = (
    "patient",
    "practitioner",
    "organization",
    "related_person",
    "location",
    "encounter",
    "communication",
    "kept_whole",
    "consent",
    "audit_event",
    "history",
    "practitioner_role",
)


def _register_fhir_types() -> None:
    """Every FHIR type interop's own type modules define."""
    for name in _TYPE_MODULES:
        module = import_module(f"carebond.interop.resources.{name}")
        for spec in module.FHIR_TYPES:
            register_fhir_resource_type(
                FhirResourceType(spec.resource_type, module.__name__, "interop")
            )


class InteropConfig(AppConfig):
    name = "carebond.interop"
    label = "interop"
    verbose_name = "FHIR R4 interoperability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        _register_fhir_types()
