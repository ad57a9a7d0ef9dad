"""Settings shared by every environment. Every value comes from the environment.

See ``.env.example`` for the full list. ``dev.py``, ``test.py`` and ``production.py``
override only what differs.
"""

from pathlib import Path

from common.env import (
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_required("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "common",
    "audit",
    "influencers",
    "listening",
    "compliance",
    "vetting",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "audit.context.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "common.context_processors.product",
            ],
        },
    },
]

DATABASES = {
    "default": {
        **parse_database_url(
            env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerproof")
        ),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }
}
# PostgreSQL's JIT compiles the scoped list queries of the pages (an EXISTS per row
# over large tables) and costs 70-190 ms a request on them for nothing; the bulk paths
# use COPY and do not need it. DATABASE_JIT=on restores the server default.
if env_str("DATABASE_JIT", "off") == "off":
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = (_db_options.get("options", "") + " -c jit=off").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["vetting.auth.DemoAwareModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded and produced files (exports); served only through an authorised view,
# never as public static files. A shared volume when web and workers are apart.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".peerproof" / "media")))
MEDIA_URL = "/media/"
# Exports with more rows than this run as a task with progress and a download link.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5_000)

# Where the bundled real reference data lives (NUCC, NPPES, SPL, Open Payments).
REFERENCE_DATA_DIR = Path(
    env_str("REFERENCE_DATA_DIR", str(BASE_DIR / "fixtures" / "reference"))
)
# Live calls to the NPI Registry are off unless switched on.
NPPES_API_ENABLED = env_bool("NPPES_API_ENABLED", False)
NPPES_API_URL = env_str("NPPES_API_URL", "https://npiregistry.cms.hhs.gov/api/")

# --- Listening (social platforms) ----------------------------------------------------
# Live API calls are off unless switched on; tests and the demo replay recordings.
LISTENING_LIVE_CALLS = env_bool("LISTENING_LIVE_CALLS", False)
# Celery task names queued (by name, after commit) when an ingest run created or
# changed posts: later apps register their scans and scoring here.
LISTENING_POST_INGEST_TASKS = env_list(
    "LISTENING_POST_INGEST_TASKS",
    [
        "compliance.tasks.posts_scan",
        "listening.tasks.ingest_run_accounts_link",
        "vetting.tasks.programs_score_soon",
    ],
)
LISTENING_BATCH_SIZE = env_int("LISTENING_BATCH_SIZE", 5000)
LISTENING_STALE_RUN_MINUTES = env_int("LISTENING_STALE_RUN_MINUTES", 15)
# Recordings are parsed in this many forked processes, in chunks of this many bytes.
LISTENING_PARSE_PROCESSES = env_int("LISTENING_PARSE_PROCESSES", 2)
LISTENING_PARSE_CHUNK_BYTES = env_int("LISTENING_PARSE_CHUNK_BYTES", 8 * 1024 * 1024)

# --- Compliance -------------------------------------------------------------------
# Days from awareness (day 0 = first ingestion) to the due time of an adverse-event
# case: 15 calendar days is the FDA clock for serious, unexpected events (21 CFR 314.80).
COMPLIANCE_AE_DUE_DAYS = env_int("COMPLIANCE_AE_DUE_DAYS", 15)

# Demo users (one per role) exist only for the embedded demo: their well-known
# passwords are refused whenever DEBUG is off (see vetting.auth).
DEMO_USERS_ALLOWED = DEBUG

# --- Celery -------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 30 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 35 * 60)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 50)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("default", "ingest", "scan", "score")
CELERY_TASK_ROUTES = {
    "influencers.tasks.*": {"queue": "ingest"},
    "listening.tasks.*": {"queue": "ingest"},
    "compliance.tasks.*": {"queue": "scan"},
    "vetting.tasks.*": {"queue": "score"},
}
CELERY_BEAT_SCHEDULE: dict = {
    # Create the ingest runs of scheduled sources whose window is due (idempotent:
    # one run per source and window, guarded by an advisory lock and a constraint).
    "listening-schedule-due": {
        "task": "listening.tasks.ingest_runs_schedule_due",
        "schedule": 60.0,
    },
    # Requeue runs whose worker died (heartbeat older than LISTENING_STALE_RUN_MINUTES).
    "listening-recover-stale": {
        "task": "listening.tasks.ingest_runs_recover_stale",
        "schedule": 300.0,
    },
    # Score the active programs whose inputs changed (a run with unchanged inputs is
    # recorded as skipped); ingestion also triggers this after each run.
    "vetting-score-programs": {
        "task": "vetting.tasks.programs_score_soon",
        "schedule": 3600.0,
    },
    # Alerts on clinicians with a vetting case: new critical findings (reopening an
    # approved case), adverse-event clocks due within a day, new payments.
    "vetting-alerts-refresh": {
        "task": "vetting.tasks.alerts_refresh",
        "schedule": 300.0,
    },
}

# --- Scoring (vetting) ---------------------------------------------------------------
# Where a scoring run keeps its inputs and per-specialty parts between tasks. With
# workers on several machines this must be a shared volume.
SCORING_WORK_DIR = Path(
    env_str("SCORING_WORK_DIR", str(BASE_DIR / ".peerproof" / "scoring"))
)
# Seconds the post-ingest trigger waits before scoring the active programs (ingest
# runs arriving meanwhile fold into the same scoring).
SCORING_DEBOUNCE_SECONDS = env_int("SCORING_DEBOUNCE_SECONDS", 30)
# Tasks the specialty-bound graph scores of a run are split into (specialties whole,
# balanced by engagement); set it to the number of specialties for one task each.
SCORING_GRAPH_PARTS = env_int("SCORING_GRAPH_PARTS", 4)

# --- REST framework -----------------------------------------------------------------
# The API's per-request statements (token lookup, latest runs, list pages) are prepared
# on the connection (common.api.prepared_cursor); turn off behind a transaction-mode
# pooler that does not carry prepared statements (PgBouncer before 1.21).
API_PREPARED_STATEMENTS = env_bool("API_PREPARED_STATEMENTS", True)
REST_FRAMEWORK = {
    # token first: an unauthenticated request gets 401 with WWW-Authenticate: Token
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "reports.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "common.api.ReadOnlyTokenForbidsWrites",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's JSON written by orjson (common/renderers.py); the browsable API stays
    "DEFAULT_RENDERER_CLASSES": [
        "common.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # drf-spectacular's AutoSchema plus the error responses of every operation
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "6000/minute"),
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PeerProof API",
    "DESCRIPTION": "Discover and vet healthcare-professional micro-influencers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # request bodies get their own components, so that they can say what input
    # must be (a required text is not blank: minLength 1) without saying it of
    # the responses
    "COMPONENT_SPLIT_REQUEST": True,
    # the docs UI is served from the installed sidecar package: no CDN, works offline
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # several models have a "status" (and cases a "state" and "held_from") with
    # their own choices: name each enum after its model
    "ENUM_NAME_OVERRIDES": {
        "FindingStatusEnum": "compliance.models.Finding.Status",
        "AdverseEventCaseStatusEnum": "compliance.models.AdverseEventCase.Status",
        # scan runs and exports share these four choices
        "RunStatusEnum": "compliance.models.ScanRun.Status",
        "IngestRunStatusEnum": "listening.models.IngestRun.Status",
        "ScoringRunStatusEnum": "vetting.models.ScoringRun.Status",
        "VettingCaseStateEnum": "vetting.models.VettingCase.State",
        "SourceKindEnum": "listening.models.Source.Kind",
        "AlertKindEnum": "vetting.models.Alert.Kind",
        "ExportKindEnum": "reports.models.Export.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "peerproof@localhost")
# the SMTP backend's server (django.core.mail.backends.smtp.EmailBackend)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# the address links in alert emails start with (no trailing slash)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
