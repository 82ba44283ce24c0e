"""The test suite: same stack, cheaper hashing, tasks run in the test process."""

import atexit
import shutil
import tempfile
from pathlib import Path

from config.env import derived_key
from config.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["carebond.testing.hashers.FastArgon2PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# A board's stream ends soon after its page is left (the live server's threads share the test
# database's connection).
SCHEDULING_BOARD_STREAM_SECONDS = 3
LOGGING["root"] = {"handlers": ["console"], "level": "WARNING"}  # noqa: F405
# No persistent connections: the live-server thread must not hold the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
FIELD_KEYS = [derived_key("carebond-test-suite")]

# Isolation: the suite never reads or writes the checkout's var/ (where a demo keeps its
# database, checkpoints, uploads and exports). Every file path points into a folder of this
# test process's own, removed when it exits; environment variables cannot point them back.
TEST_FILES = Path(tempfile.mkdtemp(prefix="carebond-tests-"))
atexit.register(shutil.rmtree, TEST_FILES, ignore_errors=True)
STATIC_ROOT = TEST_FILES / "static"
FHIR_EXPORT_DIR = TEST_FILES / "fhir-exports"
FHIR_UPLOAD_DIR = TEST_FILES / "fhir-uploads"
AUDIT_CHECKPOINT_FILE = str(TEST_FILES / "audit-checkpoints.jsonl")
EMAIL_FILE_PATH = TEST_FILES / "outbox"
SMS_FILE_PATH = TEST_FILES / "sms-outbox"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # (the suite's own database is in memory; this only keeps the name out of var/ too)
    DATABASES["default"]["NAME"] = str(TEST_FILES / "carebond.sqlite3")  # noqa: F405
