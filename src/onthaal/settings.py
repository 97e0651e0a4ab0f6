"""Onthaal settings: one module, driven by environment variables.

Every variable is documented where it is read. The embedded defaults give a working
single-machine install (SQLite in ``ONTHAAL_DATA_DIR``, no Redis); production differs only by
environment (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DEBUG=0``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent

# ONTHAAL_DATA_DIR: where the embedded install keeps its SQLite file, uploads and generated
# secret key. Default: ./var relative to the working directory.
DATA_DIR = Path(os.environ.get("ONTHAAL_DATA_DIR", "var")).resolve()


def _make_data_dir() -> None:
    """Create DATA_DIR for this user only (0700): it holds the database, the secret key and
    citizens' documents. An existing directory keeps the mode its administrator gave it."""
    if not DATA_DIR.exists():
        DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        DATA_DIR.chmod(0o700)  # mkdir's mode is reduced by the umask


# DEBUG: development mode. Off unless set; `make demo` turns it on. Demo passwords are refused
# when it is off (see onthaal.accounts.backends).
DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment. The embedded install (DEBUG, or the default SQLite
    database) generates one once and keeps it in DATA_DIR; a server install (DEBUG off with a
    DATABASE_URL) must set it."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG and os.environ.get("DATABASE_URL"):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    _make_data_dir()
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

# ALLOWED_HOSTS: comma-separated host names. Default: local addresses only.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# CSRF_TRUSTED_ORIGINS: comma-separated origins (https://onthaal.example.be) behind a proxy.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# FORWARDED_ALLOW_IPS: comma-separated addresses or networks of the reverse proxies whose
# X-Forwarded-For header is believed (uvicorn's variable, which `onthaal serve` passes on; "*"
# believes anyone). Default: 127.0.0.1, a proxy on the same machine. Rate limits, holds and
# the audit log take the client's address from onthaal.core.client, which follows it.
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1"])
# ONTHAAL_METRICS_ALLOW_IPS: comma-separated addresses or networks of the Prometheus servers that
# may scrape /metrics, besides loopback (always). The address is the client's as
# onthaal.core.client reads it (through the trusted proxies). Default: loopback only.
METRICS_ALLOW_IPS = env_list("ONTHAAL_METRICS_ALLOW_IPS", [])

INSTALLED_APPS = [
    "onthaal.accounts.admin_config.OnthaalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "onthaal.core",
    "onthaal.audit",
    "onthaal.organisation",
    "onthaal.accounts",
    "onthaal.catalogue",
    "onthaal.hours",
    "onthaal.devices",
    "onthaal.queue",
    "onthaal.appointments",
    "onthaal.mail",
    "onthaal.eloket",
    "onthaal.reporting",
    "onthaal.staffing",
    "onthaal.help",
    "onthaal.api",
    "onthaal.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "onthaal.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "onthaal.core.middleware.RequestIdMiddleware",
    "onthaal.operations.middleware.RequestMetricsMiddleware",
    "onthaal.core.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "onthaal.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "onthaal.audit.middleware.AuditRefusalMiddleware",
    "onthaal.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "onthaal.urls"
ASGI_APPLICATION = "onthaal.asgi.application"
WSGI_APPLICATION = "onthaal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onthaal.accounts.shell.staff_shell",
                "onthaal.organisation.theme.context",
                "onthaal.help.views.help_link",
                "onthaal.help.practice.banner",
            ],
        },
    },
]

# DATABASE_URL: e.g. postgres://user:pass@host:5432/onthaal. Default: SQLite in DATA_DIR.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'onthaal.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
except (ValueError, KeyError) as exc:  # onthaal.cli says so in one line
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if not os.environ.get("DATABASE_URL"):  # the embedded install's own file
        _make_data_dir()
        # Created for this user only (0600) before SQLite opens it; SQLite gives its -wal and
        # -shm files the database file's mode.
        os.close(os.open(DATA_DIR / "onthaal.sqlite3", os.O_CREAT | os.O_WRONLY, 0o600))
    # WAL lets readers go on while one writer writes; IMMEDIATE transactions take the write lock
    # at BEGIN, so two writers queue instead of failing half-way ("database is locked").
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # SQLITE_CONN_MAX_AGE: seconds a request thread keeps its SQLite connection (Django's
    # CONN_MAX_AGE), default 600. Opening one per request re-reads the schema and re-runs the
    # PRAGMAs each time; there is no server to hold connections for. 0: one per request.
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("SQLITE_CONN_MAX_AGE", "600"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif os.environ.get("DB_POOL", "1") == "1":
    # A connection pool per app process (psycopg_pool): under ASGI a request must not pay for a
    # new PostgreSQL connection. DB_POOL_MAX caps the connections of one process.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
        "timeout": int(os.environ.get("DB_POOL_TIMEOUT", "30")),
    }
    # The pool keeps its connections, so they can keep prepared statements: parameters are
    # bound by the server and a statement run 5 times is prepared (planned once), which saves
    # PostgreSQL's parsing and planning on every hot-path query (ADR 0006).
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = int(os.environ.get("DB_PREPARE", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL: optional, e.g. redis://127.0.0.1:6379/0. Used for the shared cache (rate limits,
# spent proofs of work) and the screens' live events across app processes. When Redis is
# unreachable the cache falls back to the database (onthaal.core.cache) and citizens can still
# book. Without REDIS_URL the cache is in the process's memory (one app process).
# API_TOKEN_CACHE_SECONDS: seconds an app process keeps what it read of an API token (its
# user and memberships) before reading it again; a token revoked, a user deactivated or a role
# changed in another process is refused within this time (at once in the process that made
# the change). 0: read on every request (onthaal.api.authentication).
API_TOKEN_CACHE_SECONDS = float(os.environ.get("API_TOKEN_CACHE_SECONDS", "5"))

REDIS_URL = os.environ.get("REDIS_URL", "")


def _install_prefix(database: Mapping[str, object]) -> str:
    """The default ONTHAAL_INSTALL_PREFIX: the database's name and a digest of where it is."""
    where = "{ENGINE}://{HOST}:{PORT}/{NAME}".format(
        **{k: database.get(k) or "" for k in ("ENGINE", "HOST", "PORT", "NAME")}
    )
    name = Path(str(database.get("NAME") or "onthaal")).stem
    return f"{name}-{hashlib.sha256(where.encode()).hexdigest()[:8]}"


# ONTHAAL_INSTALL_PREFIX: what this install's Redis channels and cache keys begin with, so that
# installs that share a Redis server never see each other's screens or cache entries. Default:
# the database's name and a digest of its engine, host, port and name (so: one per database).
ONTHAAL_INSTALL_PREFIX = os.environ.get("ONTHAAL_INSTALL_PREFIX", "") or _install_prefix(
    DATABASES["default"]
)
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if _SQLITE and os.environ.get("SQLITE_WRITER_QUEUE", "1") == "1":
    # Django's SQLite backend, with the app process's writers queued before BEGIN IMMEDIATE
    # rather than polling SQLite's lock (ADR 0015). SQLITE_WRITER_QUEUE=0: Django's own (to
    # measure the difference).
    DATABASES["default"]["ENGINE"] = "onthaal.core.sqlite"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "onthaal.core.cache.FailoverCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": ONTHAAL_INSTALL_PREFIX,
            # An unreachable Redis costs a request at most this long (then the database).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": ONTHAAL_INSTALL_PREFIX,
            # The screens' and phones' reads are kept here too (ONTHAAL_READ_CACHE).
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
    }

# ONTHAAL_READ_CACHE: where what screens, phones and kiosks read is cached, invalidated by the
# writes that change it (onthaal.queue.snapshots, ADR 0015): "shared" (the cache above, with
# REDIS_URL), "process" (this process's memory), or "off". Default: "shared" with REDIS_URL;
# "process" on SQLite served by one app process (the embedded default; ``onthaal serve``
# sets ONTHAAL_APP_PROCESSES to its --workers); else "off": several app processes without
# Redis would not see each other's invalidations.
_APP_PROCESSES = int(os.environ.get("ONTHAAL_APP_PROCESSES", "1") or "1")
ONTHAAL_READ_CACHE = os.environ.get("ONTHAAL_READ_CACHE", "") or (
    "shared" if REDIS_URL else "process" if _SQLITE and _APP_PROCESSES == 1 else "off"
)
if ONTHAAL_READ_CACHE not in ("shared", "process", "off"):
    raise ImproperlyConfigured("ONTHAAL_READ_CACHE must be shared, process or off.")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["onthaal.accounts.backends.OnthaalBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:start"
LOGOUT_REDIRECT_URL = "accounts:login"

# ONTHAAL_LOCKOUT_ATTEMPTS / ONTHAAL_LOCKOUT_MINUTES: failed logins before an account is locked,
# and for how long.
LOCKOUT_ATTEMPTS = int(os.environ.get("ONTHAAL_LOCKOUT_ATTEMPTS", "5"))
LOCKOUT_MINUTES = int(os.environ.get("ONTHAAL_LOCKOUT_MINUTES", "15"))

# Two-step login (django-otp, accounts.services.twofactor). ONTHAAL_OTP_ISSUER: the name the
# authenticator app shows next to the account. A wrong code makes the next one wait 1, 2, 4...
# seconds (django-otp's throttling, per device).
OTP_TOTP_ISSUER = os.environ.get("ONTHAAL_OTP_ISSUER", "Onthaal")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Staff single sign-on with the organisation's OpenID Connect provider (Entra ID, ACM/IDM...):
# onthaal.accounts.services.sso and docs/accounts.md. Off while ONTHAAL_SSO_DISCOVERY_URL is
# empty. ONTHAAL_SSO_DISCOVERY_URL: the provider's discovery document, e.g.
# https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/openid-configuration (its
# "issuer" is the one the id_token must carry). ONTHAAL_SSO_CLIENT_ID /
# ONTHAAL_SSO_CLIENT_SECRET: this application's registration at the provider (the redirect
# URI to register is https://<host>/staff/login/sso/callback/). ONTHAAL_SSO_SCOPES: the scopes
# asked for (default "openid profile email"). ONTHAAL_SSO_GROUPS_CLAIM: the claim whose values
# the group mappings name (default "groups"; Entra ID app roles: "roles").
# ONTHAAL_SSO_USERNAME_CLAIM: the claim a new account's user name is made from (default
# "preferred_username"). ONTHAAL_SSO_USERINFO: also ask the userinfo endpoint for claims the
# id_token lacks (default off). ONTHAAL_SSO_SECOND_STEP_AT_PROVIDER: the provider's sign-in
# counts as the two-step login for roles that need one (default on: the provider enforces
# MFA, e.g. Entra ID's conditional access); off: they also give Onthaal's app code.
SSO_DISCOVERY_URL = os.environ.get("ONTHAAL_SSO_DISCOVERY_URL", "")
SSO_CLIENT_ID = os.environ.get("ONTHAAL_SSO_CLIENT_ID", "")
SSO_CLIENT_SECRET = os.environ.get("ONTHAAL_SSO_CLIENT_SECRET", "")
SSO_SCOPES = os.environ.get("ONTHAAL_SSO_SCOPES", "openid profile email")
SSO_GROUPS_CLAIM = os.environ.get("ONTHAAL_SSO_GROUPS_CLAIM", "groups")
SSO_USERNAME_CLAIM = os.environ.get("ONTHAAL_SSO_USERNAME_CLAIM", "preferred_username")
SSO_USERINFO = env_bool("ONTHAAL_SSO_USERINFO", default=False)
SSO_SECOND_STEP_AT_PROVIDER = env_bool("ONTHAAL_SSO_SECOND_STEP_AT_PROVIDER", default=True)
# ONTHAAL_LOCAL_PASSWORDS: staff may log in with a password of Onthaal's own (default on).
# Off: only break-glass administrators may — an administrator who has already set up the
# two-step login — and everyone else signs in with single sign-on.
LOCAL_PASSWORDS = env_bool("ONTHAAL_LOCAL_PASSWORDS", default=True)

# ONTHAAL_ALTCHA_MAX_NUMBER: how hard the proof of work on an anonymous booking is (the largest
# number a citizen's browser may have to try; on average it tries half). 50,000 takes a phone
# about a second. See onthaal.appointments.proof.
ONTHAAL_ALTCHA_MAX_NUMBER = int(os.environ.get("ONTHAAL_ALTCHA_MAX_NUMBER", "50000"))
# ONTHAAL_PUBLIC_URL: the address citizens reach Onthaal on, for the links in e-loket e-mails
# (status page, e-mail confirmation). Default: the embedded server.
ONTHAAL_PUBLIC_URL = os.environ.get("ONTHAAL_PUBLIC_URL", "http://127.0.0.1:8000")
# ONTHAAL_ELOKET_IBAN / _BIC / _BENEFICIARY: the account citizens pay e-loket requests to (on
# the "received" page, with the structured communication and the EPC QR code). The default is
# the example account of the demo municipality.
ONTHAAL_ELOKET_IBAN = os.environ.get("ONTHAAL_ELOKET_IBAN", "BE68539007547034")
ONTHAAL_ELOKET_BIC = os.environ.get("ONTHAAL_ELOKET_BIC", "")
ONTHAAL_ELOKET_BENEFICIARY = os.environ.get("ONTHAAL_ELOKET_BENEFICIARY", "Gemeente Zonnedoorn")
# The citizens' strong login for e-loket products that need it (onthaal.eloket.identity,
# docs/eloket.md): an OpenID Connect provider of its own (CSAM, ACM/IDM, itsme), apart from the
# staff's single sign-on. Off while ONTHAAL_ELOKET_OIDC_DISCOVERY_URL is empty: those products
# then say the online request is not available. ONTHAAL_ELOKET_OIDC_CLIENT_ID / _CLIENT_SECRET:
# the registration at the provider (redirect URI https://<host>/e-loket/login/callback/).
# ONTHAAL_ELOKET_OIDC_NRN_CLAIM: the claim carrying the national register number (default
# "nrn"). ONTHAAL_ELOKET_OIDC_SCOPES (default "openid profile"). ONTHAAL_ELOKET_LOGIN_MINUTES:
# how long the login is kept in the session (default 30).
ELOKET_OIDC_DISCOVERY_URL = os.environ.get("ONTHAAL_ELOKET_OIDC_DISCOVERY_URL", "")
ELOKET_OIDC_CLIENT_ID = os.environ.get("ONTHAAL_ELOKET_OIDC_CLIENT_ID", "")
ELOKET_OIDC_CLIENT_SECRET = os.environ.get("ONTHAAL_ELOKET_OIDC_CLIENT_SECRET", "")
ELOKET_OIDC_NRN_CLAIM = os.environ.get("ONTHAAL_ELOKET_OIDC_NRN_CLAIM", "nrn")
ELOKET_OIDC_SCOPES = os.environ.get("ONTHAAL_ELOKET_OIDC_SCOPES", "openid profile")
ELOKET_LOGIN_MINUTES = int(os.environ.get("ONTHAAL_ELOKET_LOGIN_MINUTES", "30"))
# ONTHAAL_HOLDS_PER_CLIENT: times one client address may keep on hold at once while filling in
# the booking form (each hold also costs a solved proof of work). See appointments.services.hold.
ONTHAAL_HOLDS_PER_CLIENT = int(os.environ.get("ONTHAAL_HOLDS_PER_CLIENT", "3"))

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # `onthaal collectstatic` fills it for production
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
# Uploaded files (mail documents) and their directories: for the app's user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
# ONTHAAL_MAIL_STORAGE: the Django storage class of mail documents (dotted path), e.g.
# "storages.backends.s3.S3Storage" (django-storages, configured by its own AWS_* variables).
# Default: files under DATA_DIR/documents. Files are stored under their SHA-256.
MAIL_STORAGE = os.environ.get("ONTHAAL_MAIL_STORAGE", "")
STORAGES["mail"] = (
    {"BACKEND": MAIL_STORAGE}
    if MAIL_STORAGE
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "documents")},
    }
)
# ONTHAAL_MAIL_MAX_MB: the largest file a mail item accepts (megabytes, default 50).
ONTHAAL_MAIL_MAX_BYTES = int(os.environ.get("ONTHAAL_MAIL_MAX_MB", "50")) * 1024 * 1024
# ONTHAAL_IMAP_HOST (empty: no polling), ONTHAAL_IMAP_PORT (993), ONTHAAL_IMAP_SSL (on),
# ONTHAAL_IMAP_USER, ONTHAAL_IMAP_PASSWORD, ONTHAAL_IMAP_FOLDER (INBOX): the mailbox whose
# messages the worker registers as incoming mail; ONTHAAL_IMAP_DEPARTMENT (a department's slug)
# and ONTHAAL_IMAP_DOCUMENT_TYPE (a document type's name) for messages no intake rule routes.
# See onthaal.mail.email_intake.
ONTHAAL_IMAP_HOST = os.environ.get("ONTHAAL_IMAP_HOST", "")
ONTHAAL_IMAP_PORT = int(os.environ.get("ONTHAAL_IMAP_PORT", "993"))
ONTHAAL_IMAP_SSL = env_bool("ONTHAAL_IMAP_SSL", default=True)
ONTHAAL_IMAP_USER = os.environ.get("ONTHAAL_IMAP_USER", "")
ONTHAAL_IMAP_PASSWORD = os.environ.get("ONTHAAL_IMAP_PASSWORD", "")
ONTHAAL_IMAP_FOLDER = os.environ.get("ONTHAAL_IMAP_FOLDER", "INBOX")
ONTHAAL_IMAP_DEPARTMENT = os.environ.get("ONTHAAL_IMAP_DEPARTMENT", "")
ONTHAAL_IMAP_DOCUMENT_TYPE = os.environ.get("ONTHAAL_IMAP_DOCUMENT_TYPE", "")
WHITENOISE_USE_FINDERS = True  # serve from the apps' static dirs without collectstatic
# Until `onthaal collectstatic` makes STATIC_ROOT, WhiteNoise serves from the apps' static
# dirs (above); it need not warn, and no command creates the data dir just for it.
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

# Sessions and CSRF: secure cookies unless DEBUG (the embedded demo runs on plain http).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# CONTENT_SECURITY_POLICY: the Content-Security-Policy header of every response
# (onthaal.core.middleware.ContentSecurityPolicyMiddleware). The default allows scripts, styles,
# images and connections (the screens' event streams) from Onthaal's own address only: no
# inline script or style. Empty: no header (e.g. when the reverse proxy sets one).
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
# SECURE_SSL_REDIRECT / SECURE_HSTS_SECONDS: set behind TLS in production.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
# SECURE_HSTS_INCLUDE_SUBDOMAINS / SECURE_HSTS_PRELOAD: with HSTS, also for the domain's
# subdomains, and ask to be on the browsers' preload list (README "Server install").
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)

# ONTHAAL_MANUAL_SOURCE: the staff manual's Markdown (docs/manual/<lang>/<role>.md of the
# repository by default), which the help pages at /staff/help/ render.
MANUAL_SOURCE_DIR = Path(
    os.environ.get("ONTHAAL_MANUAL_SOURCE") or BASE_DIR.parents[1] / "docs" / "manual"
)
# ONTHAAL_MANUAL_DIR: what `make manual` built (screenshots, videos, PDFs), which the help pages
# show when it is there. Default: DATA_DIR/manual.
MANUAL_BUILD_DIR = Path(os.environ.get("ONTHAAL_MANUAL_DIR") or DATA_DIR / "manual")
# ONTHAAL_PRACTICE: set by `onthaal practice` (the practice environment on the demo
# municipality, in a data dir of its own): every page carries the "OEFENOMGEVING" banner.
PRACTICE = env_bool("ONTHAAL_PRACTICE", default=False)
# E-mail: EMAIL_URL-style split variables. EMAIL_BACKEND default: SMTP; in DEBUG (and so in
# `make demo`) one file per message in EMAIL_FILE_PATH (default DATA_DIR/sent-mail), see
# onthaal.core.mailfiles.
# SMS_BACKEND: "file" (DATA_DIR/sms.log, the default), "console", or the dotted path of a
# gateway class with send(to, text). See onthaal.appointments.sms.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "file")
# ONTHAAL_TURN_ALERT_AHEAD: a citizen who asked to be warned on the ticket's status page gets
# "your turn is coming" once at most this many people are before them. See onthaal.queue.alerts.
ONTHAAL_TURN_ALERT_AHEAD = int(os.environ.get("ONTHAAL_TURN_ALERT_AHEAD", "3"))
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "onthaal.core.mailfiles.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", "") or DATA_DIR / "sent-mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "onthaal@zonnedoorn.example")

# The audit log's anchors (onthaal.audit.anchors, docs/audit.md): the heads of its hash chains,
# signed with a key that is not in the database and appended to a file outside it.
# AUDIT_ANCHOR_KEY: the signing key (any long random string). Default: a key generated once in
# AUDIT_ANCHOR_KEY_FILE (default DATA_DIR/audit-anchor.key, mode 0600). The worker that writes
# anchors and whoever runs `onthaal audit verify` need the same key.
AUDIT_ANCHOR_KEY = os.environ.get("AUDIT_ANCHOR_KEY", "")
AUDIT_ANCHOR_KEY_FILE = Path(
    os.environ.get("AUDIT_ANCHOR_KEY_FILE", "") or DATA_DIR / "audit-anchor.key"
)
# AUDIT_ANCHOR_FILE: where anchors are appended, one JSON line each (default
# DATA_DIR/audit-anchors.jsonl). On a server install: a path the database's role and its
# administrators cannot write (another machine's mount, an append-only file); each anchor is
# also logged (logger onthaal.audit.anchors) for a central log to keep.
AUDIT_ANCHOR_FILE = Path(
    os.environ.get("AUDIT_ANCHOR_FILE", "") or DATA_DIR / "audit-anchors.jsonl"
)
# AUDIT_ANCHOR_MINUTES: how often the worker writes an anchor when the log has grown.
AUDIT_ANCHOR_MINUTES = float(os.environ.get("AUDIT_ANCHOR_MINUTES", "5"))

# Background tasks: django-tasks with its database backend (durable on SQLite and PostgreSQL).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REST_FRAMEWORK = {
    # Token first, so an unauthenticated request gets 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "onthaal.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested deeper than the API ever needs is a 400, not a RecursionError (api.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "onthaal.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "onthaal.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "onthaal.api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Onthaal API",
    "DESCRIPTION": "Public and staff API of Onthaal. Times are ISO 8601 with offset.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "onthaal.api.schema.document_error_responses",
    ],
    # One name per choice set that several components share (Ticket and IssuedTicket, mail).
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "onthaal.queue.models.Status",
        "TicketSourceEnum": "onthaal.queue.models.Source",
        "MailStatusEnum": "onthaal.mail.models.Status",
        "MailChannelEnum": "onthaal.mail.models.Channel",
        "EloketStatusEnum": "onthaal.eloket.models.Status",
    },
}

# LOG_LEVEL: of the console log (default INFO; `onthaal demo` sets WARNING unless it is set, so
# that its instructions are not pushed off the screen by a line per task). It is the console
# handler's level too: loggers that set their own level (django-tasks' worker sets INFO on its
# loggers) do not print under it. LOG_FORMAT: "json" (one JSON object per line, the
# default with DEBUG off: a request's line, a task's line and every other line carry the request
# id that the audit events of the same request or task carry, and no personal data — see
# onthaal.operations.logs) or "text" (the default with DEBUG on). Each line is printed once, by
# the root's one handler (Django's own console handler of "django" would print it again under
# DEBUG); a refused request is one line without a traceback (onthaal.core.logfilters).
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = os.environ.get("LOG_FORMAT", "") or ("text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured('LOG_FORMAT must be "json" or "text".')
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_without_traceback": {
            "()": "onthaal.core.logfilters.ClientErrorsWithoutTraceback"
        },
        "request_id": {"()": "onthaal.operations.logs.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "onthaal.operations.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": LOG_LEVEL,
            "filters": ["client_errors_without_traceback", "request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # One line per task is onthaal.task's (with its duration and request id); a failed
        # task's traceback still comes from django_tasks.
        "django_tasks": {"level": "WARNING"},
        # A line per request (route, status, duration): in JSON; in development uvicorn's
        # access log says it already.
        "onthaal.request": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}
