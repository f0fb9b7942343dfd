"""Passwords kept out of error pages and logs.

Django hides settings whose *name* looks secret (…PASSWORD, …KEY, …TOKEN), but ours
carry passwords inside URLs under harmless names: EMAIL_URL, BOUNCE_MAILBOX_URL,
CELERY_BROKER_URL, a cache LOCATION, and the environment that the debug page shows as
request.META. Every `scheme://user:password@` is masked wherever a string is shown:
settings (nested in dicts and lists too), request.META, the error's text, a traceback's
local variables, and the text of a log line and its traceback.
"""

import logging
import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = "********"
# scheme://user:password@ — the password runs to the last "@" of the authority, so an
# unescaped "@" in it is masked too; the user may hold one (a mailbox as the login:
# smtp://me@yandex.ru:secret@smtp.yandex.ru).
URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#\s]*:)[^/?#\s]*@", re.I)


def mask_url_passwords(text: str) -> str:
    return URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)


class SettingsCleanser(SafeExceptionReporterFilter):
    """DEFAULT_EXCEPTION_REPORTER_FILTER: the settings and request.META as an error page
    or report lists them."""

    def cleanse_setting(self, key, value):
        # Django calls this for every setting, every item nested in one, and every
        # request.META entry; what it leaves readable may still hold a URL's password.
        cleansed = super().cleanse_setting(key, value)
        return mask_url_passwords(cleansed) if isinstance(cleansed, str) else cleansed


class MaskedExceptionReporter(ExceptionReporter):
    """DEFAULT_EXCEPTION_REPORTER: the page or report as a whole masked too, for what
    no setting holds: the error's own text and the values of a traceback's variables."""

    def get_traceback_html(self):
        return mask_url_passwords(super().get_traceback_html())

    def get_traceback_text(self):
        return mask_url_passwords(super().get_traceback_text())


class MaskUrlPasswords(logging.Filter):
    """A log handler's filter: the message and its traceback with every URL's password
    masked (a broker's or a mailbox's error often quotes its URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_url_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_url_passwords(record.exc_text)
            # The JSON formatter formats exc_info again unless it is gone.
            record.exc_info = None
        return True
