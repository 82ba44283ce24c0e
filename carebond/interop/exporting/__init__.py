"""FHIR bulk export: one NDJSON file per registered type (``export``), for
``carebond export-fhir`` and the asynchronous ``Patient/$export`` job (``views``, ``actions``,
``tasks``, with the job's reads in ``selectors``).
"""
