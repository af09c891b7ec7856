"""One settings module, configured from the environment (django-environ).

Defaults give the embedded development studio: SQLite, a filesystem Celery broker and local media, all under
var/. Production sets STUDIO_ENV=production and supplies DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY,
STUDIO_ENCRYPTION_KEYS and (optionally) S3 storage; missing secrets then stop the process instead of defaulting.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env("STUDIO_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

STUDIO_ENV = env("STUDIO_ENV", default="development")
PRODUCTION = STUDIO_ENV == "production"
DEBUG = env.bool("DEBUG", default=False)


def _development_secrets() -> dict[str, str]:
    """Secrets for a machine with no configuration: generated once, kept in var/ (never in the repository)."""
    path = VAR_DIR / "dev-secrets.env"
    if not path.exists():
        path.write_text(
            f"SECRET_KEY={secrets.token_urlsafe(50)}\nSTUDIO_ENCRYPTION_KEYS={Fernet.generate_key().decode()}\n"
        )
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


_dev = {} if PRODUCTION else _development_secrets()


def _secret(name: str) -> str:
    value = env(name, default=None) or _dev.get(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when STUDIO_ENV=production")
    return value


SECRET_KEY = _secret("SECRET_KEY")
# Vendor API keys and webhook secrets are encrypted with these Fernet keys, newest first. Add a new key at the front,
# deploy, then run `manage.py rotate_vendor_secrets` to re-encrypt old rows before dropping the old key.
STUDIO_ENCRYPTION_KEYS = [k.strip() for k in _secret("STUDIO_ENCRYPTION_KEYS").split(",") if k.strip()]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL of this studio, used to build webhook callback URLs for vendors.
STUDIO_PUBLIC_URL = env("STUDIO_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "studio",
    "catalog",
    "generations",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "studio.middleware.NoStoreMiddleware",
    "studio.middleware.BadInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "studio.tenancy.CurrentTeamMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

# The vendors the studio can drive: vendor name → its adapter class, each in a package of its own under
# generations/vendors/<vendor>/ (docs/adding-a-vendor.md). Only the registry imports these, by name, on first use.
STUDIO_VENDORS = {
    "sandbox": "generations.vendors.sandbox.adapter.SandboxAdapter",
    "huhu": "generations.vendors.huhu.adapter.HuhuAdapter",
    "uwear": "generations.vendors.uwear.adapter.UwearAdapter",
    "hautech": "generations.vendors.hautech.adapter.HautechAdapter",
    "artemotion": "generations.vendors.artemotion.adapter.ArtEmotionAdapter",
}
# A vendor package's module path (the adapter class path minus its module and class names).
STUDIO_VENDOR_PACKAGES = sorted({path.rsplit(".", 2)[0] for path in STUDIO_VENDORS.values()})

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # A vendor package keeps its templates in its own templates/ folder (templates/vendors/<vendor>/…).
        "DIRS": [BASE_DIR / "templates",
                 *(BASE_DIR.joinpath(*package.split("."), "templates") for package in STUDIO_VENDOR_PACKAGES)],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studio.tenancy.team_context",
                "django.template.context_processors.csp",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + immediate transactions let the web process and the embedded worker write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so a real worker process started by a test can open the same test database;
    # the pid keeps two test runs on one machine apart.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Lets two test runs share one PostgreSQL server without sharing a test database.
    if env("STUDIO_TEST_DB_NAME", default=""):
        DATABASES["default"]["TEST"] = {"NAME": env("STUDIO_TEST_DB_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes, issue 14.3): after STUDIO_LOGIN_FAILURE_LIMIT failed sign-ins for one username,
# or from one address, both /accounts/login/ and /admin/login/ refuse even the right password until the cool-off
# has passed or `manage.py axes_reset_username NAME` / `axes_reset_ip IP` / `axes_reset` unlocks. The lockout
# page says the same whether or not the username exists.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("STUDIO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("STUDIO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "studio.security.client_ip"
AXES_VERBOSE = False
# Reverse proxies in front of the studio that append to X-Forwarded-For (0: use the socket's address).
STUDIO_PROXY_COUNT = env.int("STUDIO_PROXY_COUNT", default=0)
# Invitations (studio/invitations.py): links expire after this many days. Mail goes through Django's backend:
# the console in development, EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.com:587) in production.
STUDIO_INVITATION_DAYS = env.int("STUDIO_INVITATION_DAYS", default=7)
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Fashion Studio <studio@localhost>")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request while collectstatic has not run
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))

S3_BUCKET = env("AWS_STORAGE_BUCKET_NAME", default="")
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "studio.media.CheckedS3Storage",  # pages link to the team-checked /media/ view
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Stored files are served only through the team-checked view at /media/ (studio/media.py). Behind nginx, set
# STUDIO_MEDIA_ACCEL_PREFIX to an `internal` location aliasing MEDIA_ROOT (X-Accel-Redirect); behind Apache or
# lighttpd, STUDIO_MEDIA_SENDFILE=true (X-Sendfile). Otherwise Django streams the file. Vendors fetch our images
# through signed links that expire after STUDIO_MEDIA_LINK_SECONDS.
STUDIO_MEDIA_ACCEL_PREFIX = env("STUDIO_MEDIA_ACCEL_PREFIX", default="")
STUDIO_MEDIA_SENDFILE = env.bool("STUDIO_MEDIA_SENDFILE", default=False)
STUDIO_MEDIA_LINK_SECONDS = env.int("STUDIO_MEDIA_LINK_SECONDS", default=4 * 3600)
# Zip imports go from the browser straight to the bucket (catalog/s3_uploads.py); needs the bucket's CORS (README).
STUDIO_S3_DIRECT_UPLOAD = env.bool("STUDIO_S3_DIRECT_UPLOAD", default=bool(S3_BUCKET))
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Upload limits. The vendors accept images up to 10 MB (Huhu, ArtEmotion), so that is our default cap per image.
STUDIO_MAX_IMAGE_BYTES = env.int("STUDIO_MAX_IMAGE_BYTES", default=10 * 1024 * 1024)
STUDIO_MAX_IMAGE_PIXELS = env.int("STUDIO_MAX_IMAGE_PIXELS", default=50_000_000)
STUDIO_MAX_UPLOAD_FILES = env.int("STUDIO_MAX_UPLOAD_FILES", default=50)
# Bulk zip import (catalog/zip_ingest.py): archive size, entry count, uncompressed total and compression ratio caps.
STUDIO_ZIP_MAX_ARCHIVE_BYTES = env.int("STUDIO_ZIP_MAX_ARCHIVE_BYTES", default=2 * 1024**3)
STUDIO_ZIP_MAX_ENTRIES = env.int("STUDIO_ZIP_MAX_ENTRIES", default=5000)
STUDIO_ZIP_MAX_TOTAL_BYTES = env.int("STUDIO_ZIP_MAX_TOTAL_BYTES", default=8 * 1024**3)
STUDIO_ZIP_MAX_RATIO = env.float("STUDIO_ZIP_MAX_RATIO", default=50.0)
# Exports of more approved outputs than this are written by a worker into storage and offered as a download link
# (generations/export_jobs.py); smaller ones stream straight to the browser.
STUDIO_EXPORT_BACKGROUND_FILES = env.int("STUDIO_EXPORT_BACKGROUND_FILES", default=2000)
STUDIO_EXPORT_TIME_LIMIT = env.int("STUDIO_EXPORT_TIME_LIMIT", default=3 * 3600)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads spool to a temporary file, never to memory
DATA_UPLOAD_MAX_NUMBER_FILES = STUDIO_MAX_UPLOAD_FILES
# Bytes fetched from a vendor output URL at most (images and videos).
STUDIO_MAX_DOWNLOAD_BYTES = env.int("STUDIO_MAX_DOWNLOAD_BYTES", default=200 * 1024 * 1024)

# --- Celery ---------------------------------------------------------------------------------------------------
_broker_dir = Path(env("STUDIO_BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "studio.broker:Transport"  # kombu's, writing each message atomically
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control in the working directory
        "store_processed": False,
        "polling_interval": 0.2,
    }
else:
    # Redis redelivers a task unacknowledged for longer than this; every step is idempotent, so a redelivery is
    # a harmless no-op, and the value only bounds how long a crashed worker's task waits to run again.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_TASK_DEFAULT_QUEUE = "vendor"
# Slow image work (thumbnails, downloads, zip ingest) has its own queue so it never starves vendor calls.
CELERY_TASK_ROUTES = {"media.*": {"queue": "media"}, "vendor.*": {"queue": "vendor"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down: the database keeps the truth and the sweeper re-queues.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-tasks": {"task": "vendor.sweep", "schedule": env.float("STUDIO_SWEEP_SECONDS", default=30.0)},
    "sweep-webhook-deliveries": {"task": "media.api_webhook_sweep", "schedule": 60.0},
    "sweep-exports": {"task": "media.export_sweep", "schedule": 60.0},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Vendor engine (generations/engine/runs.py, vendors/http.py, vendors/sandbox/adapter.py) ------------------------------------
# A claimed task's lease: longer than any one step (HTTP read timeout 30 s, downloads), shorter than the wait we
# accept before the sweeper re-queues work whose worker died.
STUDIO_LEASE_SECONDS = env.float("STUDIO_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30)
STUDIO_MAX_ATTEMPTS = env.int("STUDIO_MAX_ATTEMPTS", default=6)  # transient failures of one step, then failed
STUDIO_BACKOFF_CAP_SECONDS = env.float("STUDIO_BACKOFF_CAP_SECONDS", default=300.0)
STUDIO_BALANCE_RECHECK_SECONDS = env.float("STUDIO_BALANCE_RECHECK_SECONDS", default=60.0)  # paused accounts
STUDIO_HTTP_CONNECT_TIMEOUT = env.float("STUDIO_HTTP_CONNECT_TIMEOUT", default=5.0)
STUDIO_HTTP_READ_TIMEOUT = env.float("STUDIO_HTTP_READ_TIMEOUT", default=30.0)
# Only tests set this ("127.0.0.1:<port>" of a fake vendor); the guarded downloader refuses private addresses.
STUDIO_FETCH_ALLOW_HOSTS = env.list("STUDIO_FETCH_ALLOW_HOSTS", default=[])
# Vendor API calls (an account's base URL) go over https to public addresses only, resolved and pinned. Hosts
# listed here ("host" or "host:port", exactly as written in the URL) are exempt: tests' fakes on 127.0.0.1, or a
# private deployment's own staging endpoint. Empty by default.
STUDIO_VENDOR_ALLOW_HOSTS = env.list("STUDIO_VENDOR_ALLOW_HOSTS", default=[])
# A paid call whose answer was lost, on a vendor with a listing (Huhu, Uwear): the engine looks for the job this
# long (several listings spaced out, since a listing can lag) before it concludes the call never happened and
# submits again. A vendor's own default (adapter.settle_seconds) or account.settings["settle_seconds"] wins over it.
STUDIO_SETTLE_SECONDS = env.float("STUDIO_SETTLE_SECONDS", default=0.0) or None
STUDIO_SANDBOX_SECONDS = env.float("STUDIO_SANDBOX_SECONDS", default=3.0)
# The sandbox vendor's own records (its "server side"), shared by web and worker processes.
STUDIO_SANDBOX_DIR = env("STUDIO_SANDBOX_DIR", default=str(VAR_DIR / "sandbox"))

# --- Security -------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions end after this much inactivity: every request moves the expiry on (issue 14.11). Sign-out flushes the
# session row on the server (django.contrib.auth.logout).
SESSION_COOKIE_AGE = env.int("STUDIO_SESSION_IDLE_SECONDS", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default for forms
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy in every mode (issue 14.4): our own scripts and styles only, a nonce for the script tags
# django-htmx writes, no 'unsafe-inline' and no 'unsafe-eval' (htmx.config.allowEval is off in base.html, so no
# hx-on attributes). Images and media come from our own /media/ view, or from the bucket it redirects to.
_media_origin = env("AWS_S3_ENDPOINT_URL", default="") or ("https://*.amazonaws.com" if S3_BUCKET else "")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *([_media_origin] if _media_origin else [])],
    "media-src": [CSP.SELF, *([_media_origin] if _media_origin else [])],
    "connect-src": [CSP.SELF, *([_media_origin] if _media_origin else [])],  # direct zip upload PUTs to the bucket
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging --------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "studio.logging.RedactSecretsFilter"},
                "expected_403": {"()": "studio.logging.ExpectedForbiddenFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"},
                "django.request": {"filters": ["expected_403"]},
                "django.security.csrf": {"filters": ["expected_403"]}},
}

# --- Cache ----------------------------------------------------------------------------------------------------
# The API's per-key throttling counts in the cache, so every web process must see the same one: production sets
# CACHE_URL (e.g. redis://127.0.0.1:6379/2); `check --deploy` warns when it does not (studio/checks.py). The
# development studio is one process, where the local-memory cache is enough.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- The studio's own API (issue 18, api/) ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication",
                                       "api.authentication.TeamSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TeamMember"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerKeyThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fashion Studio API",
    "DESCRIPTION": "Drive the studio from a PIM, DAM or shop: SKUs and garment photos in, approved images out, "
                   "webhooks when something is ready. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
# Requests per key (or per signed-in person) and period: "600/min", "20/s", "10000/hour". Over it: 429 + Retry-After.
STUDIO_API_RATE = env("STUDIO_API_RATE", default="600/min")
STUDIO_API_IDEMPOTENCY_HOURS = env.int("STUDIO_API_IDEMPOTENCY_HOURS", default=48)
STUDIO_API_LINK_SECONDS = env.int("STUDIO_API_LINK_SECONDS", default=900)  # signed download links
STUDIO_API_AUDIT_READ_SECONDS = env.int("STUDIO_API_AUDIT_READ_SECONDS", default=600)
# Outgoing webhooks: a delivery attempt's timeout, the retry schedule (seconds after each failure, ~24 h in all),
# and how many failed attempts in a row disable an endpoint (the team admins are told).
STUDIO_WEBHOOK_TIMEOUT = env.float("STUDIO_WEBHOOK_TIMEOUT", default=10.0)
STUDIO_WEBHOOK_RETRY_SCHEDULE = [int(s) for s in env.list(
    "STUDIO_WEBHOOK_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "28800", "28800"])]
STUDIO_WEBHOOK_DISABLE_AFTER = env.int("STUDIO_WEBHOOK_DISABLE_AFTER", default=24)
