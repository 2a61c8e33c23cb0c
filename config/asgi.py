import os

from django.core.asgi import get_asgi_application

from config.limits import BodyLimitMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# The body limit wraps Django itself: Django's handler reads the whole body before any
# middleware runs.
application = BodyLimitMiddleware(get_asgi_application())


def _warm_up() -> None:
    from django.conf import settings

    if settings.GPTSTORE_SEARCH_WARMUP:
        from store.search import warm_up_in_background

        warm_up_in_background()


_warm_up()
