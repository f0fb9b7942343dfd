"""A cron pass with nothing due is cheap (issue 24, "Light commands"): cron pays for its
start every minute, so `send_mailings` loads what a pass needs and no more. Checked by
the modules it loads, not by a time, which the machine decides."""

import subprocess
import sys

import pytest
from django.conf import settings

from .processes import ROOT, django_env

# Libraries only a sender that renders, signs or parses, a web page or a worker needs.
NOT_FOR_A_PASS = (
    "celery",  # a worker's; a pass without a broker never queues a task
    "rest_framework.views",  # the API's pages (the app's package itself is installed)
    "drf_spectacular.openapi",
    "dkim",  # signing a message
    "dns",
    "css_inline",  # rendering one
    "nh3",
    "markdown",
    "PIL",  # an uploaded image
    "flufl",  # a bounce report parsed
    "anymail",  # an ESP's webhook
)

# With the file cache a pass needs no Redis client either (nor the cryptography the
# client loads); with CACHE_URL=redis:// it is the cache's.
WITHOUT_REDIS = ("redis", "cryptography")  # cryptography: a DKIM key or a relay's URL

RUN = (
    "import sys\n"
    "from django.core.management import execute_from_command_line\n"
    "execute_from_command_line(['manage.py', 'send_mailings', '--verbosity', '0'])\n"
    "print(' '.join(sorted(sys.modules)))\n"
)


def not_for_a_pass() -> tuple[str, ...]:
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        return NOT_FOR_A_PASS
    return NOT_FOR_A_PASS + WITHOUT_REDIS


@pytest.mark.django_db(transaction=True)
def test_a_pass_with_nothing_due_loads_no_sender_web_or_worker_library():
    done = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=ROOT,
        env=django_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "sending.passes" in loaded  # the pass did run
    unwanted = {
        name
        for name in loaded
        for library in NOT_FOR_A_PASS
        if name == library or name.startswith(f"{library}.")
    }
    assert not unwanted, sorted(unwanted)
