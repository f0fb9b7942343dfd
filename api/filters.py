import django_filters

from audience.models import Client
from audience.selectors import AudienceFilter
from feedback.selectors import SUPPRESSED
from mailings.models import Mailing
from sending.models import Attempt, Delivery
from workspace.validators import validate_sane_date

MAX_ID = 2**63 - 1


class ClientFilter(django_filters.FilterSet):
    # An address is at most 254 characters; a longer pattern is "too complex" for SQLite.
    email = django_filters.CharFilter(lookup_expr="iexact", max_length=254)
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", validators=[validate_sane_date]
    )
    unsubscribed = django_filters.BooleanFilter(
        field_name="unsubscribed_at", lookup_expr="isnull", exclude=True
    )

    list = django_filters.NumberFilter(
        method="in_audience", min_value=1, max_value=MAX_ID, decimal_places=0, label="list"
    )
    tag = django_filters.NumberFilter(
        method="in_audience", min_value=1, max_value=MAX_ID, decimal_places=0, label="tag"
    )

    class Meta:
        model = Client
        fields = ["email", "updated_since", "unsubscribed", "list", "tag"]

    def in_audience(self, queryset, name, value):
        """On the list (not left) or with the tag, by the web's rule: an id the caller
        may not see matches nobody."""
        chosen = AudienceFilter.from_params({name: str(int(value))}, user=self.request.user)
        return chosen.apply(queryset)


class MailingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Mailing.Status.choices)

    class Meta:
        model = Mailing
        fields = ["status"]


class AttemptFilter(django_filters.FilterSet):
    mailing = django_filters.NumberFilter(
        field_name="mailing_id", min_value=1, max_value=MAX_ID, decimal_places=0
    )
    status = django_filters.ChoiceFilter(choices=Attempt.Status.choices)

    class Meta:
        model = Attempt
        fields = ["mailing", "status"]


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Delivery.Status.choices)

    class Meta:
        model = Delivery
        fields = ["status"]


class SuppressionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(value, label) for value, label in Client.Status.choices if value in SUPPRESSED]
    )

    class Meta:
        model = Client
        fields = ["status"]
