"""The two addresses in every tracked email: /l/<token>/ (302 to the link's target) and
/o/<token>/ (a 1×1 GIF). A token we did not sign is 404. Both answer without the session
(a recipient may be signed in here too) and forbid caching, so that a proxy does not
answer for us."""

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from accounts.middleware import sessionless
from content.links import Kind, target_of

from .intake import click_destination, hit_record

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


@method_decorator(never_cache, name="dispatch")
class ClickView(View):
    def get(self, request, token: str):
        target = target_of(token, Kind.CLICK)
        url = click_destination(target) if target else None
        if url is None:
            raise Http404
        hit_record(target, head=request.method == "HEAD", agent=_agent(request))
        response = HttpResponseRedirect(url)
        # The token stays ours: the target site is not told where the visitor came from.
        response["Referrer-Policy"] = "no-referrer"
        return response


@method_decorator(never_cache, name="dispatch")
class OpenView(View):
    def get(self, request, token: str):
        target = target_of(token, Kind.OPEN)
        if target is None:
            raise Http404
        hit_record(target, head=request.method == "HEAD", agent=_agent(request))
        return HttpResponse(PIXEL, content_type="image/gif")


click = sessionless(ClickView.as_view())
opened = sessionless(OpenView.as_view())
