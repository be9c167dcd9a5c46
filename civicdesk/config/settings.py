"""civicdesk settings. Every variable is listed, with its default, in .env.example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from civicdesk.config.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("CIVICDESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The fallback key is for development only; production must set SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "django_htmx",
    "axes",
    # Two-factor sign-in for privileged roles (docs/decisions/0029).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "civicdesk.core",
    "civicdesk.organization",
    "civicdesk.cases",
    "civicdesk.workbench",
    "civicdesk.documents",
    "civicdesk.supervision",
    # Messages to residents: the outbox (docs/decisions/0021).
    "civicdesk.notifications",
    "civicdesk.open311",
    # The resident portal: submit, track, rate, request review (issue 4).
    "civicdesk.portal",
    # The access log: who read which case, from where (issue 5, docs/decisions/0027).
    "civicdesk.audit",
    # Retention of parties' personal data: rules and the purge (docs/decisions/0031).
    "civicdesk.privacy",
    # Two-factor sign-in and password rules (issue 5, docs/decisions/0029).
    "civicdesk.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civicdesk.core.middleware.BrowserLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "civicdesk.core.middleware.IdleTimeoutMiddleware",
    # After the idle sign-out, so a signed-out browser goes to the sign-in page, not the code.
    "civicdesk.accounts.middleware.TwoFactorRequiredMiddleware",
    # After the second step: an expired password is changed before any other page.
    "civicdesk.accounts.middleware.PasswordAgeMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "civicdesk.config.urls"
WSGI_APPLICATION = "civicdesk.config.wsgi.application"
ASGI_APPLICATION = "civicdesk.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civicdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "civicdesk.workbench.context.workbench",
            ],
        },
    },
]


def _database_config() -> dict[str, Any]:
    default_url = "sqlite:///" + str(VAR_DIR / "civicdesk.sqlite3")
    config: dict[str, Any] = dj_database_url.parse(  # type: ignore[assignment]
        env_str("DATABASE_URL", default_url), conn_max_age=60
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] and config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at the
        # start of each transaction, so two writers queue instead of failing half-way.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        config["CONN_MAX_AGE"] = 0
        if config["NAME"] and config["NAME"] != ":memory:":
            # Tests on a file database get a file test database (Django's default for SQLite
            # is in-memory, where WAL, IMMEDIATE and busy_timeout do not apply, so concurrency
            # tests would not test what production runs).
            name = Path(config["NAME"])
            config["TEST"] = {"NAME": str(name.with_name(name.stem + "-test" + name.suffix))}
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organization.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "workbench:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "workbench:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# No form takes more than 9 files (the portal's photos): a request with more is refused before
# any of them is written to a temporary file.
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# Behind TLS in production: browsers are told to use HTTPS only (HSTS) and plain HTTP is
# redirected. Off by default so `make run` works on http://127.0.0.1.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Set when a TLS-terminating proxy in front sends X-Forwarded-Proto (and strips it from clients).
if env_bool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A signed-in desk left alone this long is signed out (checked on the next request).
CIVICDESK_IDLE_TIMEOUT_MINUTES = env_int("CIVICDESK_IDLE_TIMEOUT_MINUTES", 30, minimum=1)
# The session cookie outlives a working day at most; the idle timeout ends it sooner.
SESSION_COOKIE_AGE = 12 * 3600

# django-axes: five wrong passwords for one account from one address lock that pair out for
# 15 minutes. Locking the pair, not the account alone, keeps a stranger from locking a clerk out.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", 0.25, low=0.01, high=720)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "workbench/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # 等保2.0 level 3: at least 10 characters from at least three of the four classes.
    {
        "NAME": "civicdesk.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "civicdesk.accounts.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_classes": 3},
    },
]

# Staff must choose a new password once theirs is this many days old (等保2.0 8.1.4.1 a asks for
# periodic change); 0 turns the rule off.
CIVICDESK_PASSWORD_MAX_AGE_DAYS = env_int("CIVICDESK_PASSWORD_MAX_AGE_DAYS", 90, minimum=0)

# --- Two-factor sign-in (civicdesk.accounts, docs/decisions/0029) ---
# Staff holding one of these roles (and every superuser) must confirm each sign-in with a code
# from an authenticator app or a recovery code. Turning it off is for a local demo only.
CIVICDESK_2FA_REQUIRED = env_bool("CIVICDESK_2FA_REQUIRED", True)
CIVICDESK_2FA_ROLES = env_list("CIVICDESK_2FA_ROLES", "leader,supervisor,auditor,admin")
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "civicdesk")
# Each wrong code doubles the wait before the next try (1 s, 2 s, 4 s...); 0 would turn it off.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "civicdesk" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "civicdesk" / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- civicdesk ---------------------------------------------------------------------------
# Attachments larger than this are refused with a message naming the limit.
CIVICDESK_MAX_ATTACHMENT_BYTES = env_int(
    "CIVICDESK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1
)
# A running clock is "due soon" once this share of its time is used.
CIVICDESK_DUE_SOON_SHARE = env_float("CIVICDESK_DUE_SOON_SHARE", 0.8, low=0.05, high=0.99)
# ...and "seriously overdue" once it is late by this share of its own length.
CIVICDESK_SERIOUS_OVERDUE_SHARE = env_float(
    "CIVICDESK_SERIOUS_OVERDUE_SHARE", 0.5, low=0.01, high=10.0
)
CIVICDESK_PAGE_SIZE = env_int("CIVICDESK_PAGE_SIZE", 20, minimum=1)
CIVICDESK_SWEEP_INTERVAL_SECONDS = env_int("CIVICDESK_SWEEP_INTERVAL_SECONDS", 300, minimum=10)
CIVICDESK_CENTRE_NAME = env_str("CIVICDESK_CENTRE_NAME", "")

# The public address residents open to follow a case; printed as a QR code on receipt slips.
# "{code}" is replaced by the receipt code. The resident portal serves /track/ (issue 4).
CIVICDESK_PUBLIC_TRACK_URL = env_str(
    "CIVICDESK_PUBLIC_TRACK_URL", "http://127.0.0.1:8000/track/?code={code}"
)

# --- Resident portal (civicdesk.portal) ---
# The key behind the tracking secret printed on receipts (an HMAC of the receipt code, so
# nothing is stored). Changing it invalidates every printed secret; phone digits keep working.
CIVICDESK_TRACKING_KEY = env_str("CIVICDESK_TRACKING_KEY", "") or "tracking:" + SECRET_KEY
# Staff names on the resident's timeline: off by default (departments only).
CIVICDESK_PORTAL_SHOW_STAFF_NAMES = env_bool("CIVICDESK_PORTAL_SHOW_STAFF_NAMES", False)
# Map tiles for the location pin; empty shows the map without tiles (the pin still works).
CIVICDESK_MAP_TILE_URL = env_str("CIVICDESK_MAP_TILE_URL", "")
# "lat,lng" the map opens at; empty: the middle of the areas that have boundaries.
CIVICDESK_MAP_CENTRE = env_str("CIVICDESK_MAP_CENTRE", "")

# Open311 GeoReport v2 (/open311/v2/): the jurisdiction_id served by default (keys may name
# others), the discovery document's contact and key-service text, the most requests one GET
# returns (the standard's default is 1000).
CIVICDESK_OPEN311_JURISDICTION = env_str("CIVICDESK_OPEN311_JURISDICTION", "civicdesk.local")
CIVICDESK_OPEN311_CONTACT = env_str("CIVICDESK_OPEN311_CONTACT", "")
CIVICDESK_OPEN311_KEY_SERVICE = env_str(
    "CIVICDESK_OPEN311_KEY_SERVICE", "Ask the centre's administrator (manage.py issue_open311_key)."
)
CIVICDESK_OPEN311_MAX_REQUESTS = env_int("CIVICDESK_OPEN311_MAX_REQUESTS", 1000, minimum=1)

# --- Rate limits (civicdesk.core.ratelimit) ---
# Fixed-window counters in the database, shared by every web process (docs/decisions/0023).
# A rate is "<requests>/<period>": 60/h, 5/10m, 1000/d (units s, m, h, d).
CIVICDESK_RATELIMIT_ENABLED = env_bool("CIVICDESK_RATELIMIT_ENABLED", True)


def _env_networks(name: str) -> list[str]:
    import ipaddress  # here, not at the top, to keep this block self-contained

    entries = env_list(name, "")
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} takes addresses or networks (10.0.0.5, 10.0.0.0/8), got {entry!r}"
            ) from None
    return entries


def _env_rate(name: str, default: str) -> str:
    import re

    value = env_str(name, default).strip()
    match = re.fullmatch(r"(\d+)\s*/\s*(\d*)\s*[smhd]", value)
    if match is None or int(match[1]) < 1 or match[2] == "0":
        raise ImproperlyConfigured(f"{name} must look like 60/h or 5/10m, got {value!r}")
    return value


# Addresses or networks of our own reverse proxies. Only a request from one of these has its
# X-Forwarded-For believed; by default none, so the client is REMOTE_ADDR.
CIVICDESK_TRUSTED_PROXIES = _env_networks("CIVICDESK_TRUSTED_PROXIES")
# Open311: every request per client address; per api_key, every request that sends one, and
# posted requests on their own.
CIVICDESK_RATE_OPEN311_IP = _env_rate("CIVICDESK_RATE_OPEN311_IP", "300/h")
CIVICDESK_RATE_OPEN311_KEY = _env_rate("CIVICDESK_RATE_OPEN311_KEY", "600/h")
CIVICDESK_RATE_OPEN311_POST_KEY = _env_rate("CIVICDESK_RATE_OPEN311_POST_KEY", "60/h")
# Resident portal, per client address: submitting, tracking, and actions on a case.
CIVICDESK_RATE_PORTAL_SUBMIT_IP = _env_rate("CIVICDESK_RATE_PORTAL_SUBMIT_IP", "10/h")
CIVICDESK_RATE_PORTAL_TRACK_IP = _env_rate("CIVICDESK_RATE_PORTAL_TRACK_IP", "60/h")
CIVICDESK_RATE_PORTAL_ACTION_IP = _env_rate("CIVICDESK_RATE_PORTAL_ACTION_IP", "20/h")
# --- end of rate limits ---

# --- messages to residents (civicdesk.notifications, docs/decisions/0021) ------------------
# Channels a message is recorded for, when the requester gave the matching contact: "sms"
# (mobile numbers), "email", "console" (the log only: development and training).
CIVICDESK_NOTIFY_CHANNELS = env_list("CIVICDESK_NOTIFY_CHANNELS", "sms,email")
if not set(CIVICDESK_NOTIFY_CHANNELS) <= {"sms", "email", "console"}:
    raise ImproperlyConfigured(
        f"CIVICDESK_NOTIFY_CHANNELS takes sms, email, console; got {CIVICDESK_NOTIFY_CHANNELS}"
    )
# The residents' language (no per-resident language is recorded yet).
CIVICDESK_NOTIFY_LANGUAGE = env_str("CIVICDESK_NOTIFY_LANGUAGE", "zh-hans")
if CIVICDESK_NOTIFY_LANGUAGE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"CIVICDESK_NOTIFY_LANGUAGE must be one of {[code for code, _name in LANGUAGES]}"
    )
# Attempts before a message is marked failed (retries after 1, 5, 25, 125 ... minutes).
CIVICDESK_NOTIFY_MAX_ATTEMPTS = env_int("CIVICDESK_NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
# A message "sending" for longer than this belonged to a worker that died: sent again.
CIVICDESK_NOTIFY_SENDING_TIMEOUT_SECONDS = env_int(
    "CIVICDESK_NOTIFY_SENDING_TIMEOUT_SECONDS", 600, minimum=30
)
CIVICDESK_NOTIFY_SWEEP_INTERVAL_SECONDS = env_int(
    "CIVICDESK_NOTIFY_SWEEP_INTERVAL_SECONDS", 60, minimum=10
)
# Dotted paths of the senders. Text messages go to the log until a deployment names its
# gateway (a subclass of civicdesk.notifications.senders.SmsGateway).
CIVICDESK_SMS_SENDER = env_str(
    "CIVICDESK_SMS_SENDER", "civicdesk.notifications.senders.ConsoleSender"
)
CIVICDESK_EMAIL_SENDER = env_str(
    "CIVICDESK_EMAIL_SENDER", "civicdesk.notifications.senders.EmailSender"
)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "civicdesk@localhost")

# --- Access log (civicdesk.audit) ---
# Days an access record is kept before the daily purge deletes it (manage.py purge_access_log).
# At least 183: the law asks for six months of logs (网络安全法 art. 21, 等保2.0 level 3).
CIVICDESK_ACCESS_LOG_RETENTION_DAYS = env_int(
    "CIVICDESK_ACCESS_LOG_RETENTION_DAYS", 190, minimum=183
)

# --- Personal data at rest (civicdesk.core.crypto, docs/decisions/0028) ---
# AES-GCM keys as "id:base64,id:base64" (the first encrypts, all decrypt), or a file holding
# them; the blind-index (HMAC) key in base64, or a file. None set: development (DEBUG) and test
# runs generate keys into CIVICDESK_KEY_DIR (default <var>/keys); production refuses to start.
CIVICDESK_FIELD_KEYS = env_str("CIVICDESK_FIELD_KEYS", "")
CIVICDESK_FIELD_KEYS_FILE = env_str("CIVICDESK_FIELD_KEYS_FILE", "")
CIVICDESK_INDEX_KEY = env_str("CIVICDESK_INDEX_KEY", "")
CIVICDESK_INDEX_KEY_FILE = env_str("CIVICDESK_INDEX_KEY_FILE", "")
CIVICDESK_KEY_DIR = env_str("CIVICDESK_KEY_DIR", str(VAR_DIR / "keys"))

# --- Retention of personal data (civicdesk.privacy, docs/decisions/0031) ---
# The daily job anonymises due cases only when this is true; otherwise it records a dry run
# for the centre to review (manage.py purge_personal_data --apply does it by hand).
CIVICDESK_RETENTION_AUTO_PURGE = env_bool("CIVICDESK_RETENTION_AUTO_PURGE", False)
