"""Settings for the django-post_office part of `make bench` only: the product's settings
plus post_office, delivering over Django's SMTP backend to the bench's sink. The product
never installs post_office (it is in the `bench` dependency group)."""

import os

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SINK_PORT", 25))
EMAIL_TIMEOUT = 30
# Its defaults (THREADS_PER_PROCESS 5, BATCH_SIZE 100, LOG_LEVEL 2) are left as they are:
# the peer as a Django user would install it.
POST_OFFICE: dict = {}
