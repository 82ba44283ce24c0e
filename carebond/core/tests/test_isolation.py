"""The suite never touches the checkout's var/, where a demo keeps its database, audit
checkpoints, uploads and exports: a demo run before `make test` cannot change its outcome."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from config.env import BASE_DIR

CHECKOUT_VAR = BASE_DIR / "var"


def test_every_file_the_suite_uses_is_outside_the_checkout() -> None:
    paths = {
        "STATIC_ROOT": settings.STATIC_ROOT,
        "FHIR_EXPORT_DIR": settings.FHIR_EXPORT_DIR,
        "FHIR_UPLOAD_DIR": settings.FHIR_UPLOAD_DIR,
        "AUDIT_CHECKPOINT_FILE": settings.AUDIT_CHECKPOINT_FILE,
        "EMAIL_FILE_PATH": settings.EMAIL_FILE_PATH,
        "DATABASES.default.NAME": settings.DATABASES["default"]["NAME"],
    }
    inside = {
        name: str(path)
        for name, path in paths.items()
        if Path(str(path)).resolve().is_relative_to(CHECKOUT_VAR.resolve())
    }
    assert inside == {}
