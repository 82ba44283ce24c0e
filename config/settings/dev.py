"""Local development and the demo: DEBUG on, files under var/."""

from config.env import VAR_DIR, derived_key, env_bool
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("CAREBOND_DEBUG", False)  # the demo shows friendly error pages, not tracebacks
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "outbox"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise expects the folder)
FIELD_KEYS = FIELD_KEYS or [derived_key(SECRET_KEY)]  # noqa: F405  (development only)
