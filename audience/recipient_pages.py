"""What every page a recipient opens shares (the unsubscribe page and its preference
centre, a list's public form and its confirmation link): the sender's brand instead of
the platform's, and the language the recipient chose over the one the mailing or the
list speaks."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

from senders.envelope import brand_of

# An https origin we may name in the page's Content-Security-Policy: nothing in it that
# could end a source expression (";", ",", spaces) or carry a user name.
_LOGO_ORIGIN = re.compile(r"https://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?=/|\Z)")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Masthead:
    """Who speaks on a recipient's page: the sender's name and postal address, the
    owner's logo and accent colour."""

    name: str
    postal_address: str = ""
    logo_url: str = ""
    accent_color: str = ""

    @property
    def logo_origin(self) -> str:
        return self.logo_url[: _LOGO_ORIGIN.match(self.logo_url).end()] if self.logo_url else ""


def masthead_of(*, owner_id: int, name: str, postal_address: str) -> Masthead:
    brand = brand_of(owner_id)
    logo = brand.logo_url if brand else ""
    accent = brand.accent_color if brand else ""
    return Masthead(
        name=name,
        postal_address=postal_address,
        # An http logo would be mixed content on our https page: left out.
        logo_url=logo if _LOGO_ORIGIN.match(logo) else "",
        accent_color=accent if _COLOUR.fullmatch(accent) else "",
    )


def recipient_language(request, default: str) -> str:
    """The language the visitor picked with the page's switch (`?language=`), else
    `default`: the mailing's or the list's, which the sender chose for their readers.

    In the address, not in Django's language cookie (set_language): the page is reached
    by a token link, its forms post back to that same address, and the platform's own
    pages keep the choice their user made there."""
    chosen = request.GET.get("language", "")
    return chosen if chosen in dict(settings.LANGUAGES) else default


class RecipientPageMixin:
    """Renders the page in the recipient's language and lets the sender's logo load."""

    masthead: Masthead | None = None

    def page_language(self) -> str:
        return translation.get_language()

    def page_missing(self):
        """The answer when what the link names is not there (None: it is)."""
        return None

    def dispatch(self, request, *args, **kwargs):
        with translation.override(recipient_language(request, self.page_language())):
            response = self.page_missing() or super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        if self.masthead is not None and self.masthead.logo_origin:
            # The policy allows our own images only; the logo lives on the sender's site.
            response._csp_update = {"img-src": [self.masthead.logo_origin]}
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "masthead": self.masthead}
