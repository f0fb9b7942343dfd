import django_filters

from feedback.selectors import SUPPRESSED
from mailings.models import Client, Mailing, validate_sane_date
from sending.models import Attempt, Delivery

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

    class Meta:
        model = Client
        fields = ["email", "updated_since", "unsubscribed"]


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
