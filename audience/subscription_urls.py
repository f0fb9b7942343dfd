from django.urls import path, register_converter

from . import subscription_views as views


class ListTokenConverter:
    """A list's public token (secrets.token_urlsafe): anything else is 404 before the
    database sees it (PostgreSQL refuses a NUL byte with an error)."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SignedLinkConverter(ListTokenConverter):
    """A django.core.signing value: URL-safe base64 parts joined by ":" (and a leading
    "." when compressed)."""

    regex = "[A-Za-z0-9_:.-]{1,1000}"


register_converter(ListTokenConverter, "list_token")
register_converter(SignedLinkConverter, "signed")

app_name = "subscriptions"

urlpatterns = [
    path("subscribe/<list_token:token>/", views.SubscribeView.as_view(), name="subscribe"),
    path(
        "subscribe/<list_token:token>/challenge/",
        views.ChallengeView.as_view(),
        name="challenge",
    ),
    path(
        "subscribe/<list_token:token>/confirm/<signed:link>/",
        views.ConfirmView.as_view(),
        name="confirm",
    ),
]
