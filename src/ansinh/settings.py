"""Django settings, read from the environment with safe local defaults.

DATABASE_URL  sqlite:///path or postgres://user@host:port/db (default: var/ansinh.sqlite3)
SECRET_KEY    required (at least 50 characters, 5 distinct) unless ANSINH_DEMO or DEBUG is on, where a random
              key is generated once into $ANSINH_VAR/secret_key (mode 0600)
DEBUG         "1" / "0" (default 0; never on a site with real data)
ANSINH_DEMO   "1" for a demo installation (`make demo` / `make serve` set it): demo helpers, generated key
ALLOWED_HOSTS comma-separated; required unless ANSINH_DEMO or DEBUG is on (there: localhost,127.0.0.1)
ANSINH_VAR    folder for the embedded database, uploads and job files (default: ./var)
CSRF_TRUSTED_ORIGINS  comma-separated origins (https://ansinh.example.gov.vn) when served behind a proxy
ANSINH_DATA_KEYS   comma-separated kid:base64(32 bytes) AES-256 keys for identifiers at rest (the first encrypts,
              all decrypt: key rotation, `ansinh keys rotate`); ANSINH_LOOKUP_KEY base64 (>= 32 bytes) HMAC key of
              their lookup hashes. Required unless ANSINH_DEMO or DEBUG is on (or under pytest), where they are
              generated once into $ANSINH_VAR/data_keys (mode 0600). Decision 0025, ansinh.core.crypto
ANSINH_ENCRYPT_AT_REST  "0" stores identifiers in clear (benchmark floor only; refused unless ANSINH_DEMO/DEBUG)
ANSINH_BEHIND_TLS_PROXY  "1" behind nginx terminating TLS: trusts X-Forwarded-Proto, redirects http to https
ANSINH_LOG_FORMAT  "json" (one JSON object a line, with request ids: production) or "text" (default)
LOG_LEVEL     root log level (default WARNING)
Production: deploy/ansinh.env.example and docs/deploy.md; `ansinh check --deploy` checks the result.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ANSINH_VAR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DEBUG", False)
ANSINH_DEMO = _env_bool("ANSINH_DEMO", False)


def _local_secret_key() -> str:
    """A demo or development installation's own random key, made once in VAR_DIR (never a fixed public one)."""
    import secrets

    from ansinh.core.localsecret import read_or_make

    return read_or_make(VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(64)).strip()


def _weak_key(key: str) -> bool:
    # Django's own check (security.W009): at least 50 characters, 5 distinct, not a generated insecure one.
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")


SECRET_KEY = os.environ.get("SECRET_KEY") or (_local_secret_key() if ANSINH_DEMO or DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is not set (a random string of at least 50 characters); "
                               "only a demo installation (ANSINH_DEMO=1) generates its own")
if not DEBUG and _weak_key(SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY is too weak: use a random string of at least 50 characters "
                               "with at least 5 different characters")

def _data_keys() -> tuple[str, str]:
    """Identifier encryption keys (ansinh.core.crypto): from the environment; a demo or development
    installation generates its own once (VAR_DIR/data_keys, mode 0600); production refuses to start without."""
    data, lookup = os.environ.get("ANSINH_DATA_KEYS", ""), os.environ.get("ANSINH_LOOKUP_KEY", "")
    if not data and not lookup and (ANSINH_DEMO or DEBUG):
        from ansinh.core.crypto import local_keys

        return local_keys(VAR_DIR)
    if not data or not lookup:
        raise ImproperlyConfigured("ANSINH_DATA_KEYS and ANSINH_LOOKUP_KEY are not set (identifiers are encrypted "
                                   "at rest: docs/deploy.md, `ansinh keys new`); only a demo installation "
                                   "(ANSINH_DEMO=1) generates its own")
    from ansinh.core.crypto import parse_data_keys, parse_lookup_key

    try:
        parse_data_keys(data)
        parse_lookup_key(lookup)
    except ValueError as exc:
        raise ImproperlyConfigured(f"ANSINH_DATA_KEYS / ANSINH_LOOKUP_KEY: {exc}") from None
    return data, lookup


ANSINH_DATA_KEYS, ANSINH_LOOKUP_KEY = _data_keys()
ANSINH_ENCRYPT_AT_REST = _env_bool("ANSINH_ENCRYPT_AT_REST", True)
if not ANSINH_ENCRYPT_AT_REST and not (DEBUG or ANSINH_DEMO):
    raise ImproperlyConfigured("ANSINH_ENCRYPT_AT_REST=0 (identifiers in clear) is for the benchmark only: "
                               "refused unless ANSINH_DEMO=1 or DEBUG=1")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    if not (DEBUG or ANSINH_DEMO):
        raise ImproperlyConfigured("ALLOWED_HOSTS is not set (the site's host names, comma-separated); "
                                   "only a demo installation (ANSINH_DEMO=1) or DEBUG=1 defaults to localhost")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # TOTP recovery codes (ansinh.core.twofactor)
    "ansinh.core",
    "ansinh.units",
    "ansinh.registry",
    "ansinh.matching",
    "ansinh.accounts",
    "ansinh.payroll",
    "ansinh.outreach",
    "ansinh.interop",
    "ansinh.reports",
    "ansinh.complaints",
    "ansinh.audit",
    "ansinh.web",
]

MIDDLEWARE = [
    # First: every later log line of the request carries its id.
    "ansinh.web.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ansinh.web.middleware.VietnameseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed a TOTP code (ansinh.core.twofactor)?
    "django_otp.middleware.OTPMiddleware",
    "ansinh.web.middleware.SessionTimeoutMiddleware",
    # Names the screen of the audit entries a request writes (ansinh.audit).
    "ansinh.audit.middleware.AuditSourceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ansinh.web.middleware.NoStoreMiddleware",
    "ansinh.web.middleware.LoginRequiredMiddleware",
    "ansinh.web.middleware.RoleRequiredMiddleware",
    # Approving money needs a TOTP code first (ansinh.core.twofactor.STEP_UP_VIEWS).
    "ansinh.web.twofactor.StepUpMiddleware",
    # Last: turns an axes lock-out (raised during authentication) into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ansinh.urls"
WSGI_APPLICATION = "ansinh.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ansinh.web.context.shell",
            ],
        },
    }
]

DEFAULT_DB_URL = f"sqlite:///{VAR_DIR / 'ansinh.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or DEFAULT_DB_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while a background job writes.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("ANSINH_TEST_SQLITE") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every user is staff (officials handling personal data): one strong rule for all, applied by the web
# and by `ansinh users create` / core.services.upsert_user alike.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Log-in throttling (django-axes): 5 wrong passwords for one user name from one address lock that pair
# out for an hour; an administrator lifts it at once with `ansinh users unlock NAME`.
AUTHENTICATION_BACKENDS = [
    "ansinh.web.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "ansinh.web.views.locked_out"
AXES_VERBOSE = True
# Two factors (django-otp TOTP) before approving money: ansinh.core.twofactor. Off only in the test suite's
# default (tests/conftest.py), never on a site (`ansinh check --deploy` fails).
ANSINH_TOTP_REQUIRED = _env_bool("ANSINH_TOTP_REQUIRED", True)
OTP_TOTP_ISSUER = "ansinh"
OTP_TOTP_THROTTLE_FACTOR = 1
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Dates are shown dd/mm/yyyy in the UI whatever the language.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
# Number grouping for Vietnamese (1.000.000 đ): Django's vi locale has none.
FORMAT_MODULE_PATH = ["ansinh.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ANSINH_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

from ansinh.core.logs import logging_config  # noqa: E402

LOG_FORMAT = os.environ.get("ANSINH_LOG_FORMAT", "text").strip().lower()
LOGGING = logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "WARNING"))
if LOG_FORMAT == "json":
    # Python warnings (a library's UserWarning…) become log records too, so stderr stays JSON lines.
    import logging as _logging

    _logging.captureWarnings(True)
LOGGING["loggers"].update({
    # Splink reports its training steps at INFO on stdout; keep CLI output (and --json) clean.
    "splink": {"level": os.environ.get("SPLINK_LOG_LEVEL", "WARNING")},
    # Log-ins, failed log-ins and lock-outs: user name and address, never the password.
    "ansinh.auth": {"level": "INFO"},
    "axes": {"level": os.environ.get("AXES_LOG_LEVEL", "WARNING")},
})

SESSION_COOKIE_HTTPONLY = True
# A demo runs on plain http://127.0.0.1: its cookies cannot be Secure-only.
SESSION_COOKIE_SECURE = not (DEBUG or ANSINH_DEMO)
CSRF_COOKIE_SECURE = not (DEBUG or ANSINH_DEMO)
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions end 8 hours after log-in and after 30 minutes without a request (SessionTimeoutMiddleware).
SESSION_COOKIE_AGE = 8 * 3600
ANSINH_SESSION_IDLE_SECONDS = 30 * 60
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # Sent on HTTPS responses only (behind a TLS proxy, set SECURE_PROXY_SSL_HEADER there).
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Sends the `preload` token (Django's W021); submitting the domain to browsers' list stays the
    # province's own decision (docs/deploy.md).
    SECURE_HSTS_PRELOAD = True
if _env_bool("ANSINH_BEHIND_TLS_PROXY", False):
    # nginx (deploy/nginx/ansinh.conf) terminates TLS and sets X-Forwarded-Proto; it also sends plain
    # http to https itself, so this redirect only catches a request that bypassed it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The health probe may ask the application server directly over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Uploaded lists are deleted this many days after upload (`ansinh uploads purge`, daily by the worker).
ANSINH_UPLOAD_RETENTION_DAYS = int(os.environ.get("ANSINH_UPLOAD_RETENTION_DAYS", "90"))
# People are anonymised this many full years after their allowance ended (`ansinh privacy retention`,
# ansinh.audit.retention; default 10: the Law on Accounting 2015 Art. 41 keeps payment records 10 years).
ANSINH_RETENTION_YEARS = int(os.environ.get("ANSINH_RETENTION_YEARS", "10"))
# Free space below which /healthz answers 503 (var/ and media/), in MB.
ANSINH_HEALTH_MIN_FREE_MB = int(os.environ.get("ANSINH_HEALTH_MIN_FREE_MB", "500"))

# Content-Security-Policy (django-csp): scripts only from our own static files or an inline block
# carrying the request's nonce; no plugins, no framing, forms post to us only. Styles allow inline
# attributes (templates size charts with style="height: …"; ECharts and Leaflet set styles in markup).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

CACHES = {
    "default": {
        # Shared by the web process and the worker (job progress); use Redis etc. in production.
        "BACKEND": os.environ.get("ANSINH_CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"),
        "LOCATION": os.environ.get("ANSINH_CACHE_LOCATION", str(VAR_DIR / "cache")),
    }
}

# messages.error() is shown as Bootstrap's "danger" alert (its tag "error" has no Bootstrap style)
from django.contrib.messages import constants as _message_levels  # noqa: E402

MESSAGE_TAGS = {_message_levels.ERROR: "danger"}
