"""The FHIR import: files read into units (``reading``), each unit checked and mapped by the
registered type modules (``units``) and written in one transaction (``unit_actions`` and its
``unit_*`` parts), the run's record (``actions``), the loop over files (``importer``), and its
ways in: ``carebond import-fhir``, POST /fhir/R4 (``fhir_views``) and the upload page (``views``,
imported by the worker in ``tasks``).
"""
