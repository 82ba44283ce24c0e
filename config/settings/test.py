"""The test suite: same stack, cheaper hashing, tasks run in the test process."""

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
LOGGING["root"] = {"handlers": ["console"], "level": "WARNING"}  # noqa: F405
# No persistent connections: the live-server thread must not hold the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
FIELD_KEYS = [derived_key("carebond-test-suite")]
