"""What DEBUG error pages and error e-mails may show of the settings."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host — a connection string with credentials, whatever its name.
CREDENTIALS_URL = re.compile(r"\w[\w+.-]*://[^/@\s]*@")


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter hides settings named like API, AUTH, TOKEN, KEY, SECRET, PASS or
    SIGNATURE. Connection URLs carry passwords too (DATABASE_URL, REDIS_URL,
    CELERY_BROKER_URL, the caches' LOCATION), so settings named URL, LOCATION, DSN or BROKER
    are hidden as well, and so is any text holding a URL with credentials."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|LOCATION|DSN|BROKER",
        flags=re.I,
    )

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        # Only plain text: lazy settings objects are left to Django's own rendering.
        if type(cleansed) is str and CREDENTIALS_URL.search(cleansed):
            return self.cleansed_substitute
        return cleansed
