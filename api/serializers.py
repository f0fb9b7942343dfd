"""The API's shapes. Input is checked by the web's own ModelForms (same rules, same
messages, same ownership of referenced ids); these classes only add JSON types."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from audience.forms import MailingListForm, TagForm
from audience.models import Client, Membership, Segment
from audience.segment_forms import SegmentForm
from audience.segments import MAX_RULES, MAX_VALUE_CHARS, RuleError, rules_q
from audience.selectors import list_member_counts, segment_count, subscribed_list_ids
from feedback.selectors import SUPPRESSED
from mailings.forms import ClientForm, MailingForm, MessageForm
from mailings.models import Mailing
from sending.models import Attempt, Delivery
from workspace.validators import validate_sane_date

BULK_MAX = 10_000


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    return {
        ("non_field_errors" if name == forms.forms.NON_FIELD_ERRORS else name): list(errors)
        for name, errors in form.errors.items()
    }


class FormValidatedSerializer(serializers.Serializer):
    """Runs the web form on the typed input, and saves through it (form.save())."""

    form_class: type[forms.ModelForm]
    # Serializer attribute → form field, where they differ.
    form_names: dict[str, str] = {}

    def current_values(self, instance) -> dict:
        """What a partial update leaves as it is, in the form's terms."""
        values = {}
        for name in self.form_class._meta.fields:
            field = instance._meta.get_field(name)
            if field.many_to_many:
                values[name] = list(getattr(instance, name).values_list("pk", flat=True))
            else:
                values[name] = getattr(instance, field.attname)
        return values

    def validate(self, attrs):
        owner = self.context["request"].user
        typed = {self.form_names.get(name, name): value for name, value in attrs.items()}
        instance = self.instance or self.form_class._meta.model(owner=owner)
        data = {**self.current_values(instance), **typed} if self.instance else typed
        form = self.form_class(data=data, instance=instance, owner=owner)
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        self.form = form
        return attrs

    def create(self, validated_data):
        return self.form.save()

    def update(self, instance, validated_data):
        return self.form.save()


class TagNamesField(serializers.ListField):
    """A client's tags by name: written as a list (missing ones are created), read from
    the relation (prefetched by the view)."""

    child = serializers.CharField()

    def to_representation(self, data):
        return sorted(tag.name for tag in data.all())


class ListIdsField(serializers.ListField):
    """The lists a client is on, as their ids (left ones not counted)."""

    child = serializers.IntegerField()

    def to_representation(self, data):
        return sorted(
            membership.mailing_list_id
            for membership in data.all()
            if membership.status != Membership.Status.UNSUBSCRIBED
        )


class ClientSerializer(FormValidatedSerializer):
    form_class = ClientForm

    id = serializers.IntegerField(read_only=True)
    email = serializers.CharField()
    full_name = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    status = serializers.ChoiceField(choices=Client.Status.choices, read_only=True)
    attributes = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text=_(
            'Your own fields, names to text ({"city": "Казань"}); replaces all of them. '
            "Names become identifiers (a-z, 0-9, _): usable as {{ city }} in messages."
        ),
    )
    tags = TagNamesField(
        required=False, help_text=_("Tag names; missing tags are created. Replaces all tags.")
    )
    lists = ListIdsField(source="memberships", read_only=True)

    def current_values(self, instance) -> dict:
        # Tags and lists are not fields of the client's own table: a PATCH or PUT without
        # them keeps them (lists are read-only here).
        return {
            **super().current_values(instance),
            "tags": [t.name for t in instance.tags.all()],
            "lists": subscribed_list_ids(instance),
        }

    unsubscribed_at = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class MessageSerializer(FormValidatedSerializer):
    form_class = MessageForm

    id = serializers.IntegerField(read_only=True)
    subject = serializers.CharField()
    body = serializers.CharField(trim_whitespace=False)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class SuppressionSerializer(serializers.Serializer):
    """A suppressed client and the latest bounce or complaint that counts."""

    id = serializers.IntegerField(read_only=True, help_text=_("The client's id."))
    email = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=SUPPRESSED, read_only=True)
    reason = serializers.CharField(
        source="suppression_kind", read_only=True, help_text=_("hard, soft or complaint")
    )
    suppressed_at = serializers.DateTimeField(read_only=True)
    status_code = serializers.CharField(source="suppression_code", read_only=True)
    server_response = serializers.CharField(source="suppression_reply", read_only=True)


class ReactivateSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=_("Why the address may be mailed again; kept on the suppression list."),
    )


class RelatedIdsField(serializers.ListField):
    """A mailing's clients or lists as ids (written as a list, read from the relation)."""

    child = serializers.IntegerField()

    def to_representation(self, data):
        return list(data.order_by("pk").values_list("pk", flat=True))


class MailingDateTimeField(serializers.DateTimeField):
    """A mailing's time, held to the model's range before DRF moves it between time zones:
    0001-01-01 in Moscow is year 0 in UTC, an OverflowError (a 500) in that move."""

    def enforce_timezone(self, value):
        try:
            validate_sane_date(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return super().enforce_timezone(value)


class MailingSerializer(FormValidatedSerializer):
    form_class = MailingForm
    form_names = {
        "message_id": "message",
        "segment_id": "segment",
        "all_clients": "all_subscribed",
    }

    def current_values(self, instance) -> dict:
        # "All my clients" is the form's own field, not one of the model fields it lists.
        return {**super().current_values(instance), "all_subscribed": instance.all_clients}

    id = serializers.IntegerField(read_only=True)
    message = serializers.IntegerField(
        source="message_id", help_text=_("The id of one of your messages.")
    )
    clients = RelatedIdsField(
        required=False, help_text=_("Ids of your clients; or lists, a segment or all_clients.")
    )
    lists = RelatedIdsField(
        required=False, help_text=_("Ids of your lists: their subscribed members at each run.")
    )
    segment = serializers.IntegerField(
        source="segment_id",
        required=False,
        allow_null=True,
        help_text=_("The id of one of your segments: its matches at each run."),
    )
    all_clients = serializers.BooleanField(
        required=False,
        help_text=_("Every active client of yours at the time of each run, new ones included."),
    )
    all_subscribed = serializers.BooleanField(
        write_only=True, required=False, help_text=_("The older name of all_clients.")
    )
    start_at = MailingDateTimeField()
    end_at = MailingDateTimeField(required=False, allow_null=True)
    periodicity = serializers.ChoiceField(choices=Mailing.Periodicity.choices)
    tracking = serializers.ChoiceField(
        choices=Mailing._meta.get_field("tracking").choices,
        required=False,
        allow_blank=True,
        help_text=_("Opens and clicks: off, aggregate or recipient; empty: as the profile says."),
    )
    status = serializers.ChoiceField(choices=Mailing.Status.choices, read_only=True)
    next_run_at = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class MailingListSerializer(MailingSerializer):
    """A page of mailings: the recipient count instead of every recipient's id."""

    clients = None
    lists = None
    recipient_count = serializers.IntegerField(read_only=True)


class AudienceListSerializer(FormValidatedSerializer):
    """A list of clients (audience.MailingList), with its members counted by status."""

    form_class = MailingListForm

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True)
    double_opt_in = serializers.BooleanField(required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    captcha = serializers.BooleanField(required=False)
    subscribe_url = serializers.SerializerMethodField(
        help_text=_("The public subscription form of the list.")
    )
    subscribed_count = serializers.IntegerField(read_only=True)
    pending_count = serializers.IntegerField(read_only=True)
    left_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs):
        # A form leaves an unticked box False: a new list keeps the model's defaults instead.
        if self.instance is None:
            attrs = {"double_opt_in": True, "language": "ru", **attrs}
        return super().validate(attrs)

    def get_subscribe_url(self, mailing_list) -> str:
        return settings.SITE_URL + reverse("subscriptions:subscribe", args=[mailing_list.token])

    def to_representation(self, mailing_list):
        if not hasattr(mailing_list, "subscribed_count"):
            # One list just written (a page's lists come counted by the selector).
            counts = list_member_counts(mailing_list)
            mailing_list.subscribed_count = counts["subscribed"]
            mailing_list.pending_count = counts["pending"]
            mailing_list.left_count = counts["left"]
        return super().to_representation(mailing_list)


class ListMembersSerializer(serializers.Serializer):
    clients = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        max_length=BULK_MAX,
        help_text=_("Ids of your clients (up to 10,000)."),
    )


class ListMembersAddedSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    skipped_left = serializers.IntegerField(
        help_text=_("Clients who left the list themselves: only they may rejoin.")
    )


class ListMembersRemovedSerializer(serializers.Serializer):
    removed = serializers.IntegerField()


class TagSerializer(FormValidatedSerializer):
    form_class = TagForm

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()


class RuleSerializer(serializers.Serializer):
    """One condition as the segment editor's row has it: three texts."""

    field = serializers.CharField(max_length=80)
    op = serializers.CharField(max_length=32)
    value = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_VALUE_CHARS, default=""
    )


class SegmentSerializer(FormValidatedSerializer):
    form_class = SegmentForm

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    match = serializers.ChoiceField(choices=Segment.Match.choices, required=False)
    rules = RuleSerializer(
        many=True,
        max_length=MAX_RULES,
        help_text=_(
            'Conditions such as {"field": "tag", "op": "has", "value": "vip"}, as the '
            "segment editor makes them."
        ),
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs):
        if self.instance is None:
            attrs = {"match": Segment.Match.ALL, **attrs}
        attrs = super().validate(attrs)
        owner = self.context["request"].user
        # A PATCH of the name or the match alone keeps the stored rules.
        given = "rules" in attrs
        rules = [dict(rule) for rule in attrs["rules"]] if given else self.instance.rules
        match = self.form.cleaned_data["match"]
        try:
            rules_q(rules, match=match, owner=owner)
        except RuleError as error:
            where = "non_field_errors" if error.index is None else str(error.index)
            raise serializers.ValidationError({"rules": {where: [str(error.message)]}}) from None
        self.form.instance.rules = rules
        return attrs


class SegmentDetailSerializer(SegmentSerializer):
    count = serializers.SerializerMethodField(
        help_text=_("Clients it matches now (null: its rules refer to something gone).")
    )

    def get_count(self, segment) -> int | None:
        return segment_count(segment)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = [
            "id",
            "mailing",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "server_response",
            "total_count",
            "sent_count",
            "failed_count",
            "unknown_count",
            "open_count",
            "click_count",
            "machine_open_count",
            "machine_click_count",
        ]
        read_only_fields = fields


class LinkFiguresSerializer(serializers.Serializer):
    """One tracked link of a run (reports.engagement.LinkFigures)."""

    url = serializers.CharField(read_only=True)
    clicks = serializers.IntegerField(
        read_only=True, help_text=_("Recipients who clicked it (people).")
    )
    machine_clicks = serializers.IntegerField(
        read_only=True, help_text=_("Scanners, proxies and prefetches that followed it.")
    )


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "client",
            "email",
            "full_name",
            "status",
            "server_response",
            "tries",
            "sent_at",
        ]
        read_only_fields = fields


class BulkClientsSerializer(serializers.Serializer):
    """Up to 10,000 clients matched by email (any case): new ones are added, existing
    ones get the fields given (a field left out is left as it is)."""

    clients = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        max_length=BULK_MAX,
        help_text=_(
            "Objects with email and, optionally, full_name, comment and attributes (your "
            "own fields: those named are set, the client's others kept)."
        ),
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    suppressed = serializers.IntegerField(
        help_text=_(
            "Of the clients created, those whose address is on your suppression list: "
            "created with its status (unsubscribed, bounced or complained), not active."
        )
    )


class SendResultSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
    detail = serializers.CharField()
    replaces_run_at = serializers.DateTimeField(
        allow_null=True, help_text=_("The scheduled run this one takes the place of.")
    )
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text=_("The next scheduled run after this one.")
    )


class ReportTotalsSerializer(serializers.Serializer):
    runs = serializers.IntegerField()
    successful = serializers.IntegerField()
    failed = serializers.IntegerField()
    messages_sent = serializers.IntegerField()
    messages_failed = serializers.IntegerField()
