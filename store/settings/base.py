"""Settings shared by every environment; operators change them through the environment."""

from pathlib import Path

import environ

from store import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = embedded.VAR_DIR

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Without DATABASE_URL / REDIS_URL the project uses its embedded servers under var/
# (started by `make run`, the test suite, or `python -m store.embedded up`).
DATABASE_URL = env.str("DATABASE_URL", default="") or embedded.postgres_url()
REDIS_URL = env.str("REDIS_URL", default="") or embedded.redis_url()

DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "store",
    "tools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "store.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "store.urls"
WSGI_APPLICATION = "store.wsgi.application"
ASGI_APPLICATION = "store.asgi.application"

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

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = embedded.celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"tools.run_execute": {"queue": "inference"}}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # only idempotent tasks opt in
CELERY_TASK_SOFT_TIME_LIMIT = env.int("RUN_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("RUN_HARD_TIME_LIMIT", default=330)
# Above the hard limit, so a slow run is never handed to a second worker while alive.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 300}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Inference ------------------------------------------------------------------------------
# Empty: the default SmolLM2-135M-Instruct. Else a local Hugging Face folder or a cached hub id.
GPTSTORE_MODEL = env.str("GPTSTORE_MODEL", default="")
GPTSTORE_DEVICE = env.str("GPTSTORE_DEVICE", default="")  # "", "cpu", "cuda", "cuda:1"
GPTSTORE_DTYPE = env.str("GPTSTORE_DTYPE", default="")  # "", "float32", "bfloat16", "float16"
GPTSTORE_MODEL_CACHE = env.str("GPTSTORE_MODEL_CACHE", default=str(VAR_DIR / "models"))
GPTSTORE_MAX_BATCH = env.int("GPTSTORE_MAX_BATCH", default=32)
GPTSTORE_MAX_QUEUE = env.int("GPTSTORE_MAX_QUEUE", default=256)
GPTSTORE_MAX_NEW_TOKENS = env.int("GPTSTORE_MAX_NEW_TOKENS", default=512)
GPTSTORE_MAX_PROMPT_TOKENS = env.int("GPTSTORE_MAX_PROMPT_TOKENS", default=1536)
GPTSTORE_MAX_LIVE_RUNS_PER_USER = env.int("GPTSTORE_MAX_LIVE_RUNS_PER_USER", default=4)
GPTSTORE_STREAM_TTL = env.int("GPTSTORE_STREAM_TTL", default=24 * 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
