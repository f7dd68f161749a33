"""Settings for diversion: one file, everything from environment variables.

Defaults are safe for `make run` on a fresh clone (SQLite under var/, debug
off unless asked, console email). Production switches on with
DIVERSION_ENV=production, which refuses the development defaults.
"""

import re
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from diversion.lib.env import env_bool, env_int, env_list, env_secret, env_str
from diversion.lib.net import parse_networks

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
# Data (the SQLite file, collected static files, backups) lives in var/: beside the code in a
# checkout of the repository, and in the current directory when installed from the wheel
# (site-packages is no place for it).
_CHECKOUT = (REPO_DIR / "pyproject.toml").is_file()
VAR_DIR = Path(env_str("DIVERSION_VAR_DIR", str((REPO_DIR if _CHECKOUT else Path.cwd()) / "var")))

ENVIRONMENT = env_str("DIVERSION_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured("DIVERSION_ENV must be development, test or production")
PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env_secret("SECRET_KEY") or DEV_SECRET_KEY
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or DEBUG):
    raise ImproperlyConfigured(
        "In production SECRET_KEY (or SECRET_KEY_FILE) must be set and DEBUG must be off."
    )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Proxies whose X-Forwarded-For is believed for the client's address (diversion.lib.net);
# loopback by default, where docs/operations.md puts nginx or Caddy.
DIVERSION_TRUSTED_PROXIES = parse_networks("DIVERSION_TRUSTED_PROXIES", env_list(
    "DIVERSION_TRUSTED_PROXIES", ["127.0.0.1", "::1"]))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "diversion.sites",
    "diversion.accounts",
    "diversion.audit",
    "diversion.people",
    "diversion.referrals",
    "diversion.cases",
    "diversion.notifications",
    "diversion.resources",
    "diversion.partners",
    "diversion.reports",
    "diversion.consent",
    "diversion.texts",
    # Above the apps: tick, retention, worker, serve, run, demo and the deployment checks.
    "diversion.platform",
    "django_tasks",
    # Listed so /api/docs serves Swagger UI from this server's static files; without it
    # django-ninja loads it from a CDN, which the Content-Security-Policy (rightly) refuses.
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
]

MIDDLEWARE = [
    # X-Forwarded-Proto only from DIVERSION_TRUSTED_PROXIES (before anything asks is_secure).
    "diversion.lib.net.TrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "diversion.accounts.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The user's own language (kept on the account) and their site's time zone.
    "diversion.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "diversion.accounts.middleware.SessionLifetimeMiddleware",
    "diversion.accounts.middleware.MfaRequiredMiddleware",
    # 403/404 on a URL with an id, for a signed-in user: an audit event "denied".
    "diversion.audit.middleware.DeniedAccessAuditMiddleware",
    # Every record a response shows (selectors' audited querysets): one "record.view" event.
    "diversion.audit.reads.ReadAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "diversion.accounts.middleware.NoStoreMiddleware",
    "diversion.accounts.security.SecurityHeadersMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "diversion.urls"
WSGI_APPLICATION = "diversion.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "diversion.accounts.context_processors.navigation",
            ],
            # Dates, deadlines and choice labels, written one way on every page.
            "builtins": ["diversion.lib.display"],
        },
    }
]

# Form widgets render through Jinja2 (Django's own widget templates for it; the admin's through
# Django templates): the same HTML, about three times faster, which the case page's forms feel.
FORM_RENDERER = "diversion.lib.renderers.JinjaFirstRenderer"

DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL:
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'diversion.sqlite3'}"
    # The default SQLite file's folder, so that a first `diversion migrate` needs no mkdir.
    # If it cannot be made (read-only), SQLite says so when it opens the file.
    with suppress(OSError):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        "PRAGMA cache_size=-65536;",
    }
    # Connections persist (DB_CONN_MAX_AGE) for SQLite too: a new connection re-reads the
    # schema on its first query, ~3 ms, which was most of an authenticated API request.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "diversion.accounts.password_validation.MaximumLengthValidator",
     "OPTIONS": {"max_length": 128}},
    {"NAME": "diversion.accounts.password_validation.BannedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
# Activity keeps a session alive: SessionLifetimeMiddleware saves it (moving its expiry on) at
# most once a minute, not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
# However active, a session ends this long after sign-in (CJIS: re-authenticate daily).
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=60)
# A second factor (TOTP) for every signed-in user: on in production, off by default
# elsewhere so `make run`'s demo logins work without an authenticator app.
DIVERSION_REQUIRE_MFA = env_bool("DIVERSION_REQUIRE_MFA", PRODUCTION)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "LEAD diversion")
# Lockout (django-axes): 5 failed sign-ins to one username lock it for 10 minutes,
# from whatever address they come.
AUTHENTICATION_BACKENDS = [
    "diversion.accounts.security.LockoutBackend",
    "diversion.accounts.backends.SiteModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=10)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "diversion.accounts.auth_views.locked_out"
AXES_CLIENT_IP_CALLABLE = "diversion.lib.net.client_ip"
# Axes' access log would store every sign-in with its user agent; the audit log has them.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# axes.W006 asks for the address in the lockout key; the issue's rule is per username
# (an attacker rotating addresses still hits the username's limit).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Load balancers probe /healthz over plain HTTP on the private side.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("DIVERSION_TIME_ZONE", "America/Los_Angeles")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"DIVERSION_TIME_ZONE {TIME_ZONE!r} is not a known time zone")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    if not PRODUCTION else
                    "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Outside production WhiteNoise serves static files straight from where they lie (the finders:
# diversion/static and each app's), rechecked at each request, so `make run` needs no
# collectstatic step and an edited script shows at the next reload, with DEBUG off. In
# production they come from STATIC_ROOT, collected with content-hashed names.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "diversion@localhost")
# Links in emails point here; emails carry a link, never a name or clinical detail.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Slow work (email now; exports and large reports later) runs outside the request from a
# database-backed queue that `diversion worker` drains, so app servers keep no state.
# "immediate" runs each task in the process right away (tests, `make run` without a worker).
TASKS_BACKEND = env_str("TASKS_BACKEND", "database" if PRODUCTION else "immediate")
_TASK_BACKENDS = {"database": "django_tasks_db.DatabaseBackend",
                  "immediate": "django_tasks.backends.immediate.ImmediateBackend"}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("TASKS_BACKEND must be database or immediate")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

# Program behaviour.
DIVERSION_DEFAULT_SITE = env_str("DIVERSION_DEFAULT_SITE", "multnomah")
DIVERSION_INACTIVE_AFTER_DAYS = env_int("DIVERSION_INACTIVE_AFTER_DAYS", 90, minimum=1)
DIVERSION_CASELOAD_WARN = env_int("DIVERSION_CASELOAD_WARN", 20, minimum=1)
DIVERSION_CASELOAD_MAX = env_int("DIVERSION_CASELOAD_MAX", 25, minimum=1)
# Years personal data is kept after a case exits (or after a referral that never became a
# case); then `diversion tick` purges it (diversion/platform/retention.py).
DIVERSION_RETENTION_YEARS = env_int("DIVERSION_RETENTION_YEARS", 7, minimum=1)
DIVERSION_PLAN_REVIEW_DAYS = env_int("DIVERSION_PLAN_REVIEW_DAYS", 90, minimum=1)
# A declined hold stays on the prosecutor's list this long, then leaves it (retention).
DIVERSION_DECLINED_SHOWN_DAYS = env_int("DIVERSION_DECLINED_SHOWN_DAYS", 14, minimum=0)
# Reports are computed by the worker and shown from their last copy; a copy older than this
# is refreshed when someone opens it (and by `diversion tick`).
DIVERSION_REPORTS_MAX_AGE_MINUTES = env_int("DIVERSION_REPORTS_MAX_AGE_MINUTES", 60, minimum=1)
# A prepared evaluator extract is kept this long for its requester to download, then deleted.
DIVERSION_EXPORT_KEEP_HOURS = env_int("DIVERSION_EXPORT_KEEP_HOURS", 24, minimum=1)
# The largest proposed rule file the "what if" page takes (a shipped rule file is ~6 KB).
DIVERSION_SIMULATE_MAX_BYTES = env_int("DIVERSION_SIMULATE_MAX_BYTES", 64 * 1024, minimum=1024)
# Who may read the HSDS API under /hsds/ (the service directory, nothing else): "public",
# "partners" (signed in, or a bearer token, with a role that uses the directory) or "off".
DIVERSION_HSDS_API = env_str("DIVERSION_HSDS_API", "partners")
if DIVERSION_HSDS_API not in {"public", "partners", "off"}:
    raise ImproperlyConfigured("DIVERSION_HSDS_API must be public, partners or off")
# An API token stops working this many days after it is made (`diversion token create --days`
# may make it shorter, never longer).
DIVERSION_TOKEN_DAYS = env_int("DIVERSION_TOKEN_DAYS", 90, minimum=1)

# Texts to participants (diversion/texts, docs/operations.md "Texts"). Off until
# DIVERSION_SMS_URL names the Jasmin HTTP API; the callbacks come to SITE_URL with the token.
DIVERSION_SMS_PROVIDER = env_str("DIVERSION_SMS_PROVIDER", "jasmin")
DIVERSION_SMS_URL = env_str("DIVERSION_SMS_URL", "")
DIVERSION_SMS_USERNAME = env_str("DIVERSION_SMS_USERNAME", "")
DIVERSION_SMS_PASSWORD = env_secret("DIVERSION_SMS_PASSWORD") or ""
DIVERSION_SMS_SENDER = env_str("DIVERSION_SMS_SENDER", "")
DIVERSION_SMS_CALLBACK_TOKEN = env_secret("DIVERSION_SMS_CALLBACK_TOKEN") or ""
if DIVERSION_SMS_URL and len(DIVERSION_SMS_CALLBACK_TOKEN) < 20:
    raise ImproperlyConfigured("DIVERSION_SMS_CALLBACK_TOKEN must be set (20 characters or "
                               "more) when DIVERSION_SMS_URL is")
DIVERSION_SMS_HELP_PHONE = env_str("DIVERSION_SMS_HELP_PHONE", "")
# The countries (ISO 3166 codes, comma-separated) whose numbers staff may record for texts: the
# ones the carrier connection reaches. The first is the one a number without +code is read in.
DIVERSION_SMS_REGIONS = env_str("DIVERSION_SMS_REGIONS", "US")
if not re.fullmatch(r"[A-Za-z]{2}(\s*,\s*[A-Za-z]{2})*", DIVERSION_SMS_REGIONS.strip()):
    raise ImproperlyConfigured("DIVERSION_SMS_REGIONS must be two-letter country codes "
                               f"separated by commas (US or US,PR), not {DIVERSION_SMS_REGIONS!r}")
DIVERSION_SMS_TIMEOUT = env_int("DIVERSION_SMS_TIMEOUT", 10, minimum=1)
DIVERSION_SMS_QUIET_HOURS = env_str("DIVERSION_SMS_QUIET_HOURS", "21:00-08:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d",
                    DIVERSION_SMS_QUIET_HOURS):
    raise ImproperlyConfigured("DIVERSION_SMS_QUIET_HOURS must look like 21:00-08:00 (local "
                               f"time, 24-hour), not {DIVERSION_SMS_QUIET_HOURS!r}")

# Logs carry ids and actions, never names, dates of birth or notes.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs would carry query strings; the audit log is the record of access.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": env_str("LOG_LEVEL_SERVER", "WARNING")},
        # One line per queued email is noise; failures still show.
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        # The PDF report: WeasyPrint and its font subsetter say a dozen things per document.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Lockouts are written to the database and the audit log; no chatter per sign-in.
        "axes": {"level": "WARNING"},
    },
}
