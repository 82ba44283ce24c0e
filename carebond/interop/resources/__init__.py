"""Interop's FHIR type modules: one module per FHIR type (or per group of closely related
types), each holding everything CareBond does with its type: reading it from FHIR, writing it
to FHIR, the rows the facade and the export serve with its search parameters, and what the
import makes of it (the contract: ``carebond.core.fhir.type_module``).

``records`` holds what the import writes (a read function returns one of them) and ``persons``
what the person types share. ``InteropConfig.ready()`` registers every type these modules
define; the import, the facade and the export find them only through that registry.
"""
