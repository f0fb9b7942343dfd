"""The page for an error no view handled.

A database that is away (stopped, restarting, unreachable) is not our bug: the visitor
gets 503 with Retry-After, which says "come back in a moment" to people, browsers and
load balancers alike, instead of 500. Both pages render without the database.
"""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

# Errors meaning "the database did not answer", not "a query was wrong".
DATABASE_AWAY = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request, template_name: str = "500.html"):
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_AWAY) or (
        isinstance(error, DatabaseError) and isinstance(error.__cause__, DATABASE_AWAY)
    ):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request, template_name)
