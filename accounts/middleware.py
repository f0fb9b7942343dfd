import zoneinfo

from django.utils import timezone


def sessionless(view):
    """Mark a view that answers without the session, so without the database behind it
    (/healthz must say the database is down, whatever the cookies): the time-zone
    middleware then leaves the request's user unread."""
    view.needs_session = False
    return view


class UserTimezoneMiddleware:
    """Show and accept datetimes in the signed-in user's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Here rather than in __call__, so that a view marked sessionless never loads it.
        if not getattr(view_func, "needs_session", True):
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        return None
