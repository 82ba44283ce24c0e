"""FHIR R4 datatypes, with no knowledge of CareBond's models: reading values out of a resource
(with the FHIR path of any problem), building codings and resources, search parameters, and
the contract of a FHIR type module.

Any app may build a FHIR type module from these (see ``type_module``) without importing
interop, which only reads what apps register.
"""
