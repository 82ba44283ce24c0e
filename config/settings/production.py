"""Production: secrets from the environment, HTTPS everywhere, long HSTS."""

from config.env import ConfigurationError, env_bool, env_int, env_list, env_str
from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_str("CAREBOND_SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env_list("CAREBOND_ALLOWED_HOSTS")
CAREBOND_DEMO = False  # demo shortcuts never apply in production
# Video visits go to the practice's own video service (one it has a business associate
# agreement with): none by default, so no visit is sent to a public one by accident.
SCHEDULING_VIDEO_BASE_URL = env_str("CAREBOND_VIDEO_BASE_URL", "")
FIELD_KEYS = env_list("CAREBOND_FIELD_KEYS")
if not FIELD_KEYS:
    raise ConfigurationError("Set CAREBOND_FIELD_KEYS: free-text PHI is encrypted with them.")

SECURE_SSL_REDIRECT = env_bool("CAREBOND_SSL_REDIRECT", True)
# Load balancers probe the processes directly over HTTP; the probes carry no cookie and no PHI.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("CAREBOND_HSTS_SECONDS", 63_072_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CAREBOND_CSRF_TRUSTED_ORIGINS")

# Marks these settings as production ones: `carebond serve --production` refuses others.
PRODUCTION = True
