"""/api/v1/: thin views over the selectors and services the web pages use."""

import zoneinfo

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from audience.models import Client, MailingList, Segment, Tag
from audience.selectors import (
    lists_visible_to,
    lists_with_member_counts,
    segments_visible_to,
    tags_visible_to,
)
from audience.services import list_add_clients, list_remove_clients
from feedback.selectors import SUPPRESSED, suppressions_visible_to
from feedback.services import client_reactivate
from mailings.lifecycle import (
    SendNowRefused,
    disable_refusal,
    mailing_disable,
    mailing_duplicate,
    mailing_schedule,
    mailing_send_now,
)
from mailings.models import Mailing, Message
from mailings.selectors import (
    clients_visible_to,
    mailings_visible_to,
    mailings_with_recipient_counts,
    messages_visible_to,
)
from mailings.services import ClientRowsInvalid, clients_upsert, message_duplicate
from reports.engagement import run_links
from reports.figures import attempt_totals, attempts_filtered
from reports.forms import ReportFilterForm
from reports.selectors import attempts_visible_to
from sending.models import Attempt, Delivery

from . import filters, serializers
from .forms import ListMembersForm
from .idempotency import IdempotentPostMixin
from .pagination import CheckedCursorPagination
from .problems import Conflict


class NewestFirst(CheckedCursorPagination):
    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class OldestFirst(NewestFirst):
    ordering = "pk"


class ApiViewMixin(IdempotentPostMixin):
    """Reads see what the web's selectors show the user; writes touch only their own rows
    (permissions.WorkspaceAccess turns managers and read-only tokens away first)."""

    filter_backends = [DjangoFilterBackend]
    pagination_class = NewestFirst
    # Longer numbers are no row's id (and would overflow the database's integer).
    lookup_value_regex = r"[0-9]{1,18}"
    model: type

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Datetimes without an offset are the user's local time, as in the forms.
        if request.user.is_authenticated and request.user.time_zone:
            timezone.activate(zoneinfo.ZoneInfo(request.user.time_zone))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        timezone.deactivate()
        return response

    def visible(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the shape
            return self.model.objects.none()
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.visible()
        return self.model.objects.owned_by(self.request.user)


class UniqueSaveMixin:
    """Saves inside a savepoint: the same `unique_field` saved by a parallel request
    between validation and insert is the form's own message, not a 500."""

    unique_field = ""
    unique_message = ""

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError:
            raise ValidationError({self.unique_field: [str(self.unique_message)]}) from None


class InUseDestroyMixin:
    """DELETE of a row that mailings still use (a protected foreign key) is a 409 that
    says what to do instead."""

    in_use_message: str

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:
            raise Conflict(self.in_use_message) from None


class ClientViewSet(UniqueSaveMixin, ApiViewMixin, viewsets.ModelViewSet):
    model = Client
    serializer_class = serializers.ClientSerializer
    filterset_class = filters.ClientFilter
    pagination_class = OldestFirst

    def visible(self):
        return clients_visible_to(self.request.user).prefetch_related("tags", "memberships")

    unique_field = "email"
    unique_message = _("You already have a client with this email.")

    @extend_schema(
        request=serializers.BulkClientsSerializer, responses=serializers.BulkResultSerializer
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Add or update up to 10,000 clients by email in one call; all or nothing."""
        payload = serializers.BulkClientsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            result = clients_upsert(owner=request.user, rows=payload.validated_data["clients"])
        except ClientRowsInvalid as invalid:
            raise ValidationError({"clients": invalid.errors}) from None
        except IntegrityError:
            raise Conflict(
                gettext("Your clients changed while the request was read. Please send it again.")
            ) from None
        return Response(serializers.BulkResultSerializer(result).data)


class MessageViewSet(InUseDestroyMixin, ApiViewMixin, viewsets.ModelViewSet):
    in_use_message = _(
        "This message is used by mailings, so it cannot be deleted. Delete those "
        "mailings or give them another message first."
    )
    model = Message
    serializer_class = serializers.MessageSerializer

    def visible(self):
        return messages_visible_to(self.request.user)

    @extend_schema(request=None, responses={201: serializers.MessageSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        """A copy of the message, as the web's Duplicate button makes it."""
        copy = message_duplicate(message=self.get_object())
        data = self.get_serializer(copy).data
        return Response(data, status=status.HTTP_201_CREATED)


class MailingViewSet(ApiViewMixin, viewsets.ModelViewSet):
    model = Mailing
    filterset_class = filters.MailingFilter

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.MailingListSerializer
        return serializers.MailingSerializer

    def visible(self):
        mailings = mailings_visible_to(self.request.user)
        if self.action == "list":
            return mailings_with_recipient_counts(mailings)
        return mailings

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        with transaction.atomic():
            mailing = serializer.save()
            # The lifecycle decides status and next run; a due first run is queued on commit.
            mailing_schedule(mailing=mailing)

    @extend_schema(request=None, responses={202: serializers.SendResultSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Send now: the request records the wish; a worker sends."""
        try:
            plan = mailing_send_now(mailing=self.get_object())
        except SendNowRefused as refusal:
            raise Conflict(str(refusal)) from None
        detail = gettext("The mailing is queued and will go out in a moment.")
        return Response(
            {
                "queued": True,
                "detail": f"{detail} {plan.describe()}",
                "replaces_run_at": plan.slot_at if not plan.once else None,
                "next_run_at": plan.next_run_at,
            },
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=None, responses={201: serializers.MailingSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        """A draft copy, as the web's Duplicate button makes it: the engine ignores it
        until it is saved (PUT or PATCH) with its start time."""
        copy = mailing_duplicate(mailing=self.get_object())
        data = serializers.MailingSerializer(copy, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=serializers.MailingSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        """Stop the mailing for good (idempotent). A completed mailing runs no more:
        409, as the web page refuses it too."""
        mailing = self.get_object()
        if mailing.status == Mailing.Status.COMPLETED:
            raise Conflict(disable_refusal(mailing=mailing))
        if disable_refusal(mailing=mailing) is None:
            mailing_disable(mailing=mailing)
        mailing.refresh_from_db()
        return Response(serializers.MailingSerializer(mailing, context={"request": request}).data)


class AudienceListViewSet(UniqueSaveMixin, ApiViewMixin, viewsets.ModelViewSet):
    """Lists of clients with their members counted; `members/` puts clients on a list
    and `members/remove/` takes them off, as the client list's bulk action does."""

    model = MailingList
    serializer_class = serializers.AudienceListSerializer

    def visible(self):
        return lists_with_member_counts(lists_visible_to(self.request.user))

    unique_field = "name"
    unique_message = _("You already have a list with this name.")

    def _members(self, request):
        mailing_list = self.get_object()
        payload = serializers.ListMembersSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        form = ListMembersForm(data=payload.validated_data, owner=request.user)
        if not form.is_valid():
            raise ValidationError(serializers.form_errors(form))
        return mailing_list, form.cleaned_data["clients"]

    @extend_schema(
        request=serializers.ListMembersSerializer,
        responses=serializers.ListMembersAddedSerializer,
    )
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """Put your clients on the list as subscribed (all or none). A client who left the
        list is not put back: only the client may rejoin; `skipped_left` counts them."""
        mailing_list, clients = self._members(request)
        result = list_add_clients(mailing_list=mailing_list, clients=clients)
        return Response({"added": result.changed, "skipped_left": result.skipped_left})

    @extend_schema(
        request=serializers.ListMembersSerializer,
        responses=serializers.ListMembersRemovedSerializer,
    )
    @action(detail=True, methods=["post"], url_path="members/remove")
    def members_remove(self, request, pk=None):
        """Take your clients off the list. Those who left it stay recorded as left."""
        mailing_list, clients = self._members(request)
        result = list_remove_clients(mailing_list=mailing_list, clients=clients)
        return Response({"removed": result.changed})


class TagViewSet(
    ApiViewMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Labels on clients; a client's tags are set on the client (`tags`)."""

    model = Tag
    serializer_class = serializers.TagSerializer

    def visible(self):
        return tags_visible_to(self.request.user)

    def perform_create(self, serializer):
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError:
            message = gettext("You already have a tag with this name.")
            raise ValidationError({"name": [message]}) from None


class SegmentViewSet(InUseDestroyMixin, ApiViewMixin, viewsets.ModelViewSet):
    in_use_message = _(
        "This segment is used by mailings, so it cannot be deleted. Give them "
        "other recipients first."
    )
    """Clients chosen by rules, evaluated at each run; the detail counts the matches."""

    model = Segment

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.SegmentDetailSerializer
        return serializers.SegmentSerializer

    def visible(self):
        return segments_visible_to(self.request.user)


API_LINKS = 100


class AttemptViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Runs of mailings, newest first; each run's recipients under `deliveries/`."""

    model = Attempt
    serializer_class = serializers.AttemptSerializer
    filterset_class = filters.AttemptFilter

    def visible(self):
        return attempts_visible_to(self.request.user)

    def filter_queryset(self, queryset):
        if self.action in ("deliveries", "links"):
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        responses=serializers.DeliverySerializer(many=True),
        parameters=[OpenApiParameter("status", enum=Delivery.Status.values)],
    )
    @action(
        detail=True, serializer_class=serializers.DeliverySerializer, pagination_class=OldestFirst
    )
    def deliveries(self, request, pk=None):
        attempt = get_object_or_404(self.visible(), pk=pk)
        rows = filters.DeliveryFilter(
            request.GET, queryset=attempt.deliveries.all(), request=request
        )
        if not rows.is_valid():
            raise ValidationError(rows.errors)
        page = self.paginate_queryset(rows.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=serializers.LinkFiguresSerializer(many=True))
    @action(detail=True, serializer_class=serializers.LinkFiguresSerializer, pagination_class=None)
    def links(self, request, pk=None):
        """The run's tracked links, most clicked by people first (at most 100): how many
        recipients clicked each, people and machines apart."""
        attempt = get_object_or_404(self.visible(), pk=pk)
        links = run_links(attempt, limit=API_LINKS)
        return Response(self.get_serializer(links, many=True).data)


class SuppressionViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Clients kept from mailings by a bounce or a complaint, as /suppressions/ shows
    them; `reactivate` lets one receive again."""

    model = Client
    serializer_class = serializers.SuppressionSerializer
    filterset_class = filters.SuppressionFilter

    def visible(self):
        return suppressions_visible_to(self.request.user)

    def get_queryset(self):
        return super().get_queryset().filter(status__in=SUPPRESSED)

    @extend_schema(request=serializers.ReactivateSerializer, responses=serializers.ClientSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """The owner vouches for the address: it receives mailings again, and the
        suppression list keeps `reason`."""
        client = self.get_object()
        payload = serializers.ReactivateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reason = payload.validated_data.get("reason") or gettext("Reactivated through the API.")
        client_reactivate(client=client, reason=reason)
        return Response(serializers.ClientSerializer(client, context={"request": request}).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/: a problem document, not the site's HTML page."""
    raise NotFound()


class ReportTotalsView(ApiViewMixin, GenericAPIView):
    """The report page's totals, filtered by the report page's own filter form."""

    serializer_class = serializers.ReportTotalsSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("mailing", OpenApiTypes.INT),
            OpenApiParameter("status", enum=Attempt.Status.values),
        ]
    )
    def get(self, request):
        form = ReportFilterForm(request.GET, mailings=mailings_visible_to(request.user))
        if not form.is_valid():
            raise ValidationError(serializers.form_errors(form))
        filters = {key: value for key, value in form.cleaned_data.items() if value}
        attempts = attempts_filtered(
            attempts_visible_to(request.user), zone=timezone.get_current_timezone(), **filters
        )
        return Response(self.get_serializer(attempt_totals(attempts)).data)
