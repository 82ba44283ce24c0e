"""The /fhir/R4 facade: read and search of every registered type that is served
(``selectors``, with the query checked by ``search``), the CapabilityStatement
(``capability``), and the HTTP edge every FHIR view shares (``http``: authentication, roles,
OperationOutcome errors).
"""
