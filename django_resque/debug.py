"""Django's DEBUG error page and error e-mails without the Redis password.

Django hides settings whose names look secret (``PASSWORD``, ``KEY``...), not
``RESQUE['REDIS_URL']`` or a cache's ``LOCATION``. With
``DEFAULT_EXCEPTION_REPORTER_FILTER = "django_resque.debug.ExceptionReporterFilter"``
every URL in every setting, and in every string local variable of the traceback,
shows with its password masked.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from .redaction import mask_in_text, mask_url

_URL_NAME = re.compile("URL|LOCATION", re.IGNORECASE)


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, plus passwords masked in every URL of every setting."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        return _masked(key, super().cleanse_setting(key, value))

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        """Local variables too: a string holding a URL (``url`` in a connection helper) is masked."""
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, _masked(name, value)) for name, value in variables]


def _masked(name: Any, value: Any) -> Any:
    """A string named like a URL is masked whole (it may lack a scheme); others where they quote one."""
    if not isinstance(value, str):
        return value
    return mask_url(value) if _URL_NAME.search(str(name)) else mask_in_text(value)
