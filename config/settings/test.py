import os

from config.connections import celery_url, default_redis_url

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The test process connects without a pool: pytest-django drops the test database at the
# end, and a pool would still hold sessions in it. Servers started by bench/processes.py set
# DB_POOL_SIZE and run pooled, as deployed.
if "DB_POOL_SIZE" not in os.environ:
    DB_POOL_SIZE = 0
    DATABASES["default"]["OPTIONS"].pop("pool", None)  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Tests share the embedded PostgreSQL (Django makes its own test_ database) but use
# Redis database 1, so a running `make run` stack never picks up a test's tasks.
REDIS_URL = env.str("REDIS_URL", default="") or default_redis_url(db=1)
# Each test session keeps its cache entries (login-failure counters, ...) under a prefix of
# its own, which the servers it starts inherit: counters left by an earlier session in the
# shared Redis must not throttle this one.
CACHES = {
    "default": {
        **CACHES["default"],  # noqa: F405
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("GPTSTORE_CACHE_PREFIX", default="gptstore-test"),
    }
}
CELERY_BROKER_URL = celery_url(REDIS_URL)

# Throttles are tested on their own; elsewhere they must not interfere. Their counters live
# in local memory so clearing them never flushes the shared Redis database.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
}
API_THROTTLE_CACHE = "api-throttle"
CACHES = {**CACHES, "api-throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Page rate limits likewise: off unless a test turns one on (core/ratelimit.py reads them per
# request), counted in local memory.
WEB_RATE_SEARCH = WEB_RATE_SUGGEST = WEB_RATE_PAGES = WEB_RATE_SIGNUP = WEB_RATE_LOGIN = ""
WEB_RATE_PASSWORD_RESET = WEB_RATE_PASSWORD_RESET_EMAIL = ""
WEB_RATE_CACHE = "web-rate"
CACHES = {**CACHES, "web-rate": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Web servers started by tests never search semantically unless a test says so.
GPTSTORE_SEARCH_WARMUP = env.bool("GPTSTORE_SEARCH_WARMUP", default=False)
