"""Settings shared by every environment. Environment-specific files override a few names."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from config.env import (
    VAR_DIR,
    ConfigurationError,
    database_pooling,
    default_database_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    replica_database,
)

SECRET_KEY = env_str("CAREBOND_SECRET_KEY", "insecure-development-key-change-me-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = env_list("CAREBOND_ALLOWED_HOSTS", "127.0.0.1,localhost")
CAREBOND_DEMO = env_bool("CAREBOND_DEMO")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "carebond.core",
    "carebond.accounts",
    "carebond.audit",
    "carebond.people",
    "carebond.touchpoints",
    "carebond.messaging",
    "carebond.privacy",
    "carebond.value_maps",
    "carebond.scheduling",
    "carebond.surveys",
    "carebond.billing",
    "carebond.analytics",
    "carebond.interop",
    "carebond.demo",
]

MIDDLEWARE = [
    "carebond.core.middleware.RequestIdMiddleware",
    "carebond.core.middleware.ApiErrorBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "carebond.core.middleware.WrittenPositionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "carebond.accounts.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "carebond.core.middleware.CareBondErrorMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carebond.core.context_processors.shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env_str("CAREBOND_DATABASE_URL", default_database_url())
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the writer; FULL sync: a committed audit row survives a crash.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].update(database_pooling(DATABASES["default"]))  # type: ignore[typeddict-item]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- read replica (docs/deployment.md, "Read replica") ---------------------------------------
# A PostgreSQL streaming standby for the analytics and report pages' reads; unset: none.
REPLICA_URL = env_str("CAREBOND_REPLICA_URL", "")
# A replica further behind than this is not read: the pages read the primary instead.
REPLICA_MAX_LAG_SECONDS = env_int("CAREBOND_REPLICA_MAX_LAG_SECONDS", 30)
if REPLICA_URL:
    DATABASES["replica"] = replica_database(REPLICA_URL, DATABASES["default"])
    # Pooled or behind pgbouncer like the primary: the same CAREBOND_DB_* settings apply.
    DATABASES["replica"].update(database_pooling(DATABASES["replica"]))  # type: ignore[typeddict-item]
    DATABASE_ROUTERS = ["carebond.core.db_router.ReplicaRouter"]

# --- accounts and sessions ------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "carebond.accounts.backends.UserWithOrganizationBackend",
]
SESSION_IDLE_MINUTES = env_int("CAREBOND_SESSION_IDLE_MINUTES", 15)
SESSION_ABSOLUTE_HOURS = env_int("CAREBOND_SESSION_ABSOLUTE_HOURS", 12)
# The cookie lives as long as the idle window; SessionPolicyMiddleware touches the session on
# every signed-in request, which saves it and renews the cookie (requests without a signed-in
# user, such as /healthz, never write the session).
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "carebond.core.views.csrf_failure"
# Messages can name a patient ("Maria Lopez is registered"): keep them server-side, never in a
# cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

OTP_TOTP_ISSUER = "CareBond"
OTP_TOTP_THROTTLE_FACTOR = 1

AXES_FAILURE_LIMIT = env_int("CAREBOND_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours: a locked account opens again after 15 minutes
# Per username, from any address: a spread-out guessing attack locks the account too.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "carebond.accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# --- security headers -----------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- time and language ----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- background work ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WORKER_SCAN_INTERVAL_SECONDS = env_int("CAREBOND_WORKER_SCAN_INTERVAL", 60)
# FHIR bulk $export writes its NDJSON files here (PHI: keep it on encrypted, private storage).
FHIR_EXPORT_DIR = Path(env_str("CAREBOND_FHIR_EXPORT_DIR", str(VAR_DIR / "fhir-exports")))
# Finished $export files are deleted after this many days.
FHIR_EXPORT_KEEP_DAYS = env_int("CAREBOND_FHIR_EXPORT_KEEP_DAYS", 7)

# --- encrypted free-text PHI ----------------------------------------------------------------
# Comma-separated Fernet keys, newest first; older keys still decrypt during rotation.
# Without the variable, development and the demo derive a key from the secret key (production
# settings refuse that and require CAREBOND_FIELD_KEYS).
FIELD_KEYS = env_list("CAREBOND_FIELD_KEYS", "")

# --- email ----------------------------------------------------------------------------------
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("CAREBOND_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CAREBOND_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("CAREBOND_EMAIL_FROM", "CareBond <no-reply@carebond.invalid>")
# A "forgot password" link works for an hour, once (it dies when the password changes).
PASSWORD_RESET_TIMEOUT = 3600
# Where CareBond is reached, for links in emails (https://crm.example.org); blank: the
# request's own host (checked against ALLOWED_HOSTS).
BASE_URL = env_str("CAREBOND_BASE_URL", "")
# A mail server that hangs must not hang the worker.
EMAIL_TIMEOUT = env_int("CAREBOND_EMAIL_TIMEOUT", 10)

# --- messaging (docs/messaging.md) -----------------------------------------------------------
# Which plug-in carries each channel (carebond/messaging/channels/<kind>/): email goes through
# Django's email backend above; texts through a Twilio-compatible REST API, or the console.
MESSAGING_CHANNELS = {
    "email": env_str("CAREBOND_EMAIL_CHANNEL", "email"),
    "sms": env_str("CAREBOND_SMS_CHANNEL", "console"),
}
TWILIO_ACCOUNT_SID = env_str("CAREBOND_TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("CAREBOND_TWILIO_AUTH_TOKEN", "")
# The provider's API root: Twilio's, or any compatible provider's.
TWILIO_BASE_URL = env_str("CAREBOND_TWILIO_BASE_URL", "https://api.twilio.com")
# Where the console channel writes the texts it "sends" (the demo reads them there).
SMS_FILE_PATH = Path(env_str("CAREBOND_SMS_FILE_PATH", str(VAR_DIR / "sms-outbox")))
# Recipient's local hours in which non-urgent messages may go (stricter states narrow it).
MESSAGING_QUIET_HOURS = (8, 21)
# Per person and purpose: at most N messages in D days (None: no cap beyond the law's).
MESSAGING_CAPS: dict[str, tuple[int, int]] = {
    "marketing": (2, 30),
    "survey": (1, 30),
}
# Sending attempts before a transient failure becomes a permanent one.
MESSAGING_MAX_ATTEMPTS = env_int("CAREBOND_MESSAGING_MAX_ATTEMPTS", 8)
# A message a worker claimed and has not finished after this long is looked at again.
MESSAGING_CLAIM_SECONDS = env_int("CAREBOND_MESSAGING_CLAIM_SECONDS", 120)
# How long a text may wait for an answer, in office minutes (docs/messaging.md, office hours).
MESSAGING_REPLY_TARGET_MINUTES = env_int("CAREBOND_MESSAGING_REPLY_TARGET_MINUTES", 120)
# Open conversations one colleague holds at most, unless set on Outreach → Office hours.
MESSAGING_DEFAULT_CAPACITY = env_int("CAREBOND_MESSAGING_DEFAULT_CAPACITY", 15)
# The reassigned-number check: a function (number, since) -> bool | None, or "" for none
# (carebond/messaging/reassigned.py).
MESSAGING_REASSIGNED_CHECK = env_str("CAREBOND_MESSAGING_REASSIGNED_CHECK", "")
# DKIM-signing of emails (docs/messaging.md): a PEM private key, its DNS selector and domain.
MESSAGING_DKIM_KEY_FILE = env_str("CAREBOND_DKIM_KEY_FILE", "")
MESSAGING_DKIM_SELECTOR = env_str("CAREBOND_DKIM_SELECTOR", "carebond")
MESSAGING_DKIM_DOMAIN = env_str("CAREBOND_DKIM_DOMAIN", "")
# The shared secret the mail system sends with each inbound email (empty: none accepted).
MESSAGING_INBOUND_EMAIL_TOKEN = env_str("CAREBOND_INBOUND_EMAIL_TOKEN", "")
# The domain of the per-email reply addresses (reply+<token>@...; empty: no Reply-To).
MESSAGING_REPLY_DOMAIN = env_str("CAREBOND_REPLY_DOMAIN", "")
# How often each worker looks for such messages.
MESSAGING_STALE_SCAN_SECONDS = env_int("CAREBOND_MESSAGING_STALE_SCAN_SECONDS", 60)

# Scheduling: open times start on this grid (minutes past each block's start); appointment
# reminders go this many hours before the visit (docs/scheduling.md).
SCHEDULING_GRID_MINUTES = env_int("CAREBOND_SCHEDULING_GRID_MINUTES", 15)
SCHEDULING_REMINDER_HOURS: tuple[int, ...] = (72, 24)

# Surveys: a comment raising a safety concern is due to its manager within these hours (the
# organisation's recovery target, 24 hours by default, is set on its survey settings); a
# grievance's written response is due this many days after it was received.
SURVEYS_SAFETY_HOURS = env_int("CAREBOND_SURVEYS_SAFETY_HOURS", 4)
SURVEYS_GRIEVANCE_DAYS = env_int("CAREBOND_SURVEYS_GRIEVANCE_DAYS", 7)
# Break-glass: how long a grant opens a patient's withheld parts (docs/privacy.md); at most
# BREAK_GLASS_MAX_MINUTES, so a forgotten grant cannot stay open for a shift or a week.
BREAK_GLASS_MINUTES = env_int("CAREBOND_BREAK_GLASS_MINUTES", 60)
BREAK_GLASS_MAX_MINUTES = 240
# Telehealth rooms are <base>/carebond-<token> on this video service (a self-hosted Jitsi, say;
# the public one for the demo and development only: production has no default).
SCHEDULING_VIDEO_BASE_URL = env_str("CAREBOND_VIDEO_BASE_URL", "https://meet.jit.si")
# The patient's join page opens this many minutes before the visit.
SCHEDULING_JOIN_OPENS_MINUTES = 15
# The front-desk board: minutes in each place after which a visit is flagged (warn, alert):
# late (booked, past its start), waiting, in a room, with the provider.
SCHEDULING_WAIT_WARNINGS: dict[str, tuple[int, int]] = {
    "late": (10, 20),
    "waiting": (15, 30),
    "roomed": (10, 20),
    "seen": (45, 60),
}
# An open board's stream looks for changes this often, and is closed after this long (the
# browser opens it again at once): each open stream holds one of the server's threads.
SCHEDULING_BOARD_CHECK_SECONDS = 0.5
SCHEDULING_BOARD_STREAM_SECONDS = env_int("CAREBOND_SCHEDULING_BOARD_STREAM_SECONDS", 300)
# The waitlist: an offered time is held for its patient this long, and offered to this many
# waiting patients at a time (docs/scheduling.md, the waitlist).
SCHEDULING_WAITLIST_OFFER_MINUTES = env_int("CAREBOND_SCHEDULING_WAITLIST_OFFER_MINUTES", 30)
SCHEDULING_WAITLIST_BATCH = env_int("CAREBOND_SCHEDULING_WAITLIST_BATCH", 3)

# History (docs/deployment.md, "Partitioned history" and "Retention"): on PostgreSQL the worker
# keeps this many monthly partitions ready ahead of time, and drops those older than a table's
# retention, in whole years; unset keeps the table's rows forever. Audit events are kept six
# years at least (HIPAA, 45 CFR 164.316(b)(2)): a lower value stops the start.
HISTORY_PARTITIONS_AHEAD = env_int("CAREBOND_PARTITIONS_AHEAD_MONTHS", 3)
AUDIT_RETENTION_MINIMUM_YEARS = 6
RETENTION_YEARS: dict[str, int | None] = {
    "audit": env_int("CAREBOND_RETENTION_AUDIT_YEARS", AUDIT_RETENTION_MINIMUM_YEARS),
    "touchpoints": env_int("CAREBOND_RETENTION_TOUCHPOINTS_YEARS", 0) or None,
    "messages": env_int("CAREBOND_RETENTION_MESSAGES_YEARS", 0) or None,
}
if (RETENTION_YEARS["audit"] or 0) < AUDIT_RETENTION_MINIMUM_YEARS:
    raise ConfigurationError(
        f"CAREBOND_RETENTION_AUDIT_YEARS must be at least {AUDIT_RETENTION_MINIMUM_YEARS} "
        f"(HIPAA keeps audit records six years), got {RETENTION_YEARS['audit']}."
    )

# Where `carebond worker` appends audit-chain checkpoints: put it on storage the database's
# administrators cannot rewrite (docs/deployment.md).
AUDIT_CHECKPOINT_FILE = env_str(
    "CAREBOND_AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl")
)

# Keep X-Request-ID from callers only when a trusted proxy sets it (docs/deployment.md).
TRUST_REQUEST_ID = env_bool("CAREBOND_TRUST_REQUEST_ID")

# --- logging: JSON lines with request ids; never PHI ----------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "carebond.core.logging.RequestIdFilter"},
        "scrub": {"()": "carebond.core.logging.ScrubQueryStringFilter"},
    },
    "formatters": {"json": {"()": "carebond.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "scrub"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # The worker's polling loop announces itself every second; only its problems matter.
        # (Tasks themselves still log when they start and finish, under django_tasks.)
        "django_tasks_db": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # The text provider's client logs each request's query at INFO: the numbers asked
        # about (PHI). Only its problems.
        "twilio": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # The PDF renderer narrates each step of every report at INFO.
        "weasyprint": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "fontTools": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- FHIR import ------------------------------------------------------------------------------
# Largest Bundle accepted by POST /fhir/R4 and the upload page (bigger sets: NDJSON or the CLI).
FHIR_MAX_POST_BYTES = env_int("CAREBOND_FHIR_MAX_POST_BYTES", 64 * 1024 * 1024)
FHIR_MAX_UPLOAD_BYTES = env_int("CAREBOND_FHIR_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
# Every file the import reads (upload, command line) and a gzip-encoded POST body are held to
# these once decompressed: the longest NDJSON line (one resource) and the most one file may
# expand to. A small .gz can hold gigabytes of one line; it is refused, not read into memory.
FHIR_MAX_LINE_BYTES = env_int("CAREBOND_FHIR_MAX_LINE_BYTES", 64 * 1024 * 1024)
FHIR_MAX_DECOMPRESSED_BYTES = env_int("CAREBOND_FHIR_MAX_DECOMPRESSED_BYTES", 8 * 1024**3)
# Uploaded files wait here for the worker (PHI: private, encrypted storage).
FHIR_UPLOAD_DIR = Path(env_str("CAREBOND_FHIR_UPLOAD_DIR", str(VAR_DIR / "fhir-uploads")))
