"""Settings shared by every environment; operators change them through the environment."""

from pathlib import Path

import environ

from config.connections import VAR_DIR, celery_url, default_postgres_url, default_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Without DATABASE_URL / REDIS_URL the project uses its embedded servers under var/
# (started by `make run`, the test suite, or `python -m ops.embedded up`).
DATABASE_URL = env.str("DATABASE_URL", default="") or default_postgres_url()
REDIS_URL = env.str("REDIS_URL", default="") or default_redis_url()

DATABASES = {"default": env.db_url_config(DATABASE_URL)}
# Under ASGI persistent connections are never reused (Django's docs), so each process keeps a
# psycopg pool instead: opening a connection per request made 16 concurrent run POSTs ~40%
# slower (docs/bench-stack.md). DB_POOL_SIZE=0 turns pooling off (then CONN_MAX_AGE applies).
DB_POOL_SIZE_DEFAULT = 10
DB_POOL_SIZE = env.int("DB_POOL_SIZE", default=DB_POOL_SIZE_DEFAULT)
DATABASES["default"]["CONN_MAX_AGE"] = 0 if DB_POOL_SIZE else env.int("CONN_MAX_AGE", default=0)
# With a pool, Django passes this on as the pool's check on checkout: a PostgreSQL restart
# must not hand out dead connections.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
if DB_POOL_SIZE:
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_SIZE,
        "timeout": 10,  # waiting longer than this for a free connection is an error
    }

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "store",
    "tools",
    "api",
    "axes",
]

MIDDLEWARE = [
    "config.metrics.RequestLatencyMiddleware",  # first: times the whole stack
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything parses the request: NUL, lone surrogates and deep JSON are a 400.
    "config.input.InputCleaningMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "store.context_processors.site",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Client address, log-in protection, page rate limits ------------------------------------
# Proxies in front of Django that append to X-Forwarded-For; 0 = the header is ignored and
# REMOTE_ADDR is the client (core/clientip.py). Every limit below keys on that address.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
# django-axes counts failed log-ins (store, admin, anything calling authenticate) per
# (username, client address); after AXES_FAILURE_LIMIT that pair waits a cool-off that
# doubles with each lockout within LOGIN_LOCKOUT_MEMORY seconds (store/login_protection.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "store.login_protection.cool_off"
AXES_LOCKOUT_CALLABLE = "store.login_protection.lockout_response"
AXES_CLIENT_IP_CALLABLE = "store.login_protection.client_address"
AXES_RESET_ON_SUCCESS = True
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=5)
LOGIN_COOLOFF_MAX_MINUTES = env.int("LOGIN_COOLOFF_MAX_MINUTES", default=24 * 60)
LOGIN_LOCKOUT_MEMORY = env.int("LOGIN_LOCKOUT_MEMORY", default=7 * 24 * 3600)
# Page rate limits per client address ("N/second|minute|hour|day"; "0" = off), counted in
# the cache named by WEB_RATE_CACHE (core/ratelimit.py). Search embeds every query on the CPU.
WEB_RATE_SEARCH = env.str("WEB_RATE_SEARCH", default="30/minute")
WEB_RATE_SUGGEST = env.str("WEB_RATE_SUGGEST", default="120/minute")
WEB_RATE_PAGES = env.str("WEB_RATE_PAGES", default="120/minute")  # tool and author pages
WEB_RATE_SIGNUP = env.str("WEB_RATE_SIGNUP", default="10/hour")
# Log-in posts per client address whatever the username: lockouts count per (account,
# address), so this is what stops one address from trying a password on many accounts.
WEB_RATE_LOGIN = env.str("WEB_RATE_LOGIN", default="60/hour")
WEB_RATE_PASSWORD_RESET = env.str("WEB_RATE_PASSWORD_RESET", default="10/hour")
WEB_RATE_PASSWORD_RESET_EMAIL = env.str("WEB_RATE_PASSWORD_RESET_EMAIL", default="3/hour")
WEB_RATE_CACHE = "default"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1_000_000)
# DEBUG pages and error mails also hide connection URLs (DATABASE_URL, REDIS_URL, ...).
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.reporting.ExceptionReporterFilter"
FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000_000

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="GPT Store <noreply@localhost>")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "gptstore",
    }
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="60/minute"),
        "user": env.str("API_USER_RATE", default="600/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.drf_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GPT Store API",
    "DESCRIPTION": "Tools, catalog, reviews and runs. Authenticate with a personal API token "
    "(`Authorization: Bearer gpts_...`) or, in the browser, the session.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Deep links put an anchor inside each operation's toggle button: a control in a control,
    # which screen readers cannot operate (axe: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_run_events",
        "api.openai.schema.add_openai_api",
    ],
}
API_THROTTLE_CACHE = "default"
# The throttles key on core.clientip.client_ip; DRF's own setting agrees for anything else.
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXIES

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# tools.run_execute goes to its model's queue, `inference.<model id>` (run_enqueue names
# it); a worker consumes the queues of the models it serves (tools/tasks.py).
CELERY_TASK_ROUTES: dict[str, dict] = {}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # only idempotent tasks opt in
CELERY_TASK_SOFT_TIME_LIMIT = env.int("RUN_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("RUN_HARD_TIME_LIMIT", default=330)
# Above the hard limit, so a slow run is never handed to a second worker while alive.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 300}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ROUTES["tools.run_reconcile"] = {"queue": "default"}
# A broker outage must fail a publish quickly (the reconciler re-enqueues later), not hang.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE = {
    "tools-run-reconcile": {
        "task": "tools.run_reconcile",
        "schedule": env.float("GPTSTORE_RECONCILE_EVERY", default=30.0),
        "options": {"expires": 60},
    },
}

# --- Inference ------------------------------------------------------------------------------
# Empty: the default SmolLM2-135M-Instruct. Else a local Hugging Face folder or a cached hub id.
GPTSTORE_MODEL = env.str("GPTSTORE_MODEL", default="")
# The model registry (tools/registry.py): a TOML file of [[models]]; empty = one built-in
# model, the one above. GPTSTORE_DEFAULT_MODEL: its id for new tools and `base` on /v1/
# (default: the file's first). GPTSTORE_WORKER_MODELS: ids an inference worker serves, comma-
# separated (default: the default model); each gets its own engine and Celery queue.
GPTSTORE_MODELS_FILE = env.str("GPTSTORE_MODELS_FILE", default="")
GPTSTORE_DEFAULT_MODEL = env.str("GPTSTORE_DEFAULT_MODEL", default="")
GPTSTORE_WORKER_MODELS = env.str("GPTSTORE_WORKER_MODELS", default="")
GPTSTORE_DEVICE = env.str("GPTSTORE_DEVICE", default="")  # "", "cpu", "cuda", "cuda:1"
GPTSTORE_DTYPE = env.str("GPTSTORE_DTYPE", default="")  # "", "float32", "bfloat16", "float16"
GPTSTORE_MODEL_CACHE = env.str("GPTSTORE_MODEL_CACHE", default=str(VAR_DIR / "models"))
GPTSTORE_MAX_BATCH = env.int("GPTSTORE_MAX_BATCH", default=32)
GPTSTORE_MAX_QUEUE = env.int("GPTSTORE_MAX_QUEUE", default=256)
GPTSTORE_MAX_NEW_TOKENS = env.int("GPTSTORE_MAX_NEW_TOKENS", default=512)
GPTSTORE_MAX_PROMPT_TOKENS = env.int("GPTSTORE_MAX_PROMPT_TOKENS", default=1536)
GPTSTORE_MAX_LIVE_RUNS_PER_USER = env.int("GPTSTORE_MAX_LIVE_RUNS_PER_USER", default=4)
# Prompt + completion tokens one user may spend per UTC day (runs in flight reserved at their
# prompt estimate + max_new_tokens); 0 = unlimited. Per-user overrides: tools.UsageBudget.
GPTSTORE_DAILY_TOKEN_BUDGET = env.int("GPTSTORE_DAILY_TOKEN_BUDGET", default=200_000)
GPTSTORE_STREAM_TTL = env.int("GPTSTORE_STREAM_TTL", default=24 * 3600)
# A worker refreshes a lease per running run; a run whose lease lapsed lost its worker.
GPTSTORE_RUN_LEASE_TTL = env.int("GPTSTORE_RUN_LEASE_TTL", default=15)
GPTSTORE_RUN_MAX_ATTEMPTS = env.int("GPTSTORE_RUN_MAX_ATTEMPTS", default=3)
# Queued runs older than this whose broker message is gone are enqueued again.
GPTSTORE_REQUEUE_AFTER = env.int("GPTSTORE_REQUEUE_AFTER", default=60)
# Build the engine when an inference worker starts, not on its first run.
GPTSTORE_ENGINE_WARMUP = env.bool("GPTSTORE_ENGINE_WARMUP", default=True)
# Bearer token Prometheus sends to /metrics; empty turns the endpoint off (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Nice value added to the engine's threads in a worker: web and task threads stay responsive.
GPTSTORE_ENGINE_NICE = env.int("GPTSTORE_ENGINE_NICE", default=10)
# After a run's first words, streamed text is sent to Redis (and so to viewers) at most this
# often: fewer, larger events cost the web, Redis and the browser less per token.
GPTSTORE_STREAM_FLUSH_MS = env.int("GPTSTORE_STREAM_FLUSH_MS", default=50)
GPTSTORE_SSE_KEEPALIVE = env.float("GPTSTORE_SSE_KEEPALIVE", default=15.0)  # seconds
# Load the search embedding model in the background when a web process starts, so the first
# search is as fast as the next (about 8 s of loading otherwise falls on the first visitor).
GPTSTORE_SEARCH_WARMUP = env.bool("GPTSTORE_SEARCH_WARMUP", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
