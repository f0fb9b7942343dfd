"""Sign-ups through the public forms and the preference centre: double opt-in, its one
confirmation email, the signed single-use link, and leaving a list.

A sign-up keeps a ConsentRecord (when, from which address and browser, for which list);
the confirmation link names that record. An address that must confirm gets one email per
SUBSCRIBE_RESEND_WINDOW however often the form is posted, and the link works once, for
SUBSCRIBE_CONFIRM_DAYS. A bounced or complained address is never written to, nor made
active again by a form: the visitor sees the usual answer, nothing is stored or sent.
"""

import enum
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from senders.models import Sender

from .models import Client, ConsentRecord, MailingList, Membership, Suppression
from .status import Reason, client_set_status, client_status_new
from .suppressions import suppression_of

CONFIRM_SALT = "audience.confirm"
SUPPRESSED = (Client.Status.BOUNCED, Client.Status.COMPLAINED)


class SignUp(enum.Enum):
    SUBSCRIBED = "subscribed"  # on the list now (single opt-in)
    CONFIRMATION_SENT = "confirmation_sent"
    # Asked to confirm a moment ago: no second email, the visitor is told to look for
    # the first one.
    CONFIRMATION_PENDING = "confirmation_pending"
    ALREADY_SUBSCRIBED = "already_subscribed"


@dataclass(frozen=True)
class Visitor:
    """Who posted a form, as the consent record keeps it."""

    ip_address: str | None
    user_agent: str


class LinkInvalid(Exception):
    """Not a link of ours for this list (tampered, garbage, another list's, erased)."""


class LinkExpired(Exception):
    """A real link, older than SUBSCRIBE_CONFIRM_DAYS."""


class LinkUsed(Exception):
    """A real link that has done its work already (or whose sign-up was replaced)."""


@dataclass(frozen=True)
class ListSender:
    """Who a list's emails and pages are from: the owner's default sender, or the owner."""

    name: str
    email: str
    postal_address: str


def list_sender(mailing_list: MailingList) -> ListSender:
    owner = mailing_list.owner
    sender = Sender.objects.usable_by(owner).filter(is_default=True).first()
    if sender is not None:
        return ListSender(
            name=" ".join(sender.name.split()),
            email=sender.reply_to or sender.email,
            postal_address=sender.postal_address,
        )
    return ListSender(
        name=" ".join(owner.get_full_name().split()) or owner.email,
        email=owner.email,
        postal_address="",
    )


def _client_locked(
    *, owner, email: str, full_name: str, pending: bool, held: Suppression | None
) -> Client:
    """The owner's client with this address (any case), created if new (waiting for its
    confirmation if `pending`, with the status its suppression `held` keeps); its row
    locked so that sign-ups of one address take turns."""
    same_address = Client.objects.owned_by(owner).alias(key=Lower("email"))
    client = same_address.filter(key=email.lower()).first()
    if client is None:
        try:
            with transaction.atomic():
                client = Client(owner=owner, email=email, full_name=full_name[:255])
                client_status_new(client=client, pending=pending, suppression=held)
                client.save(force_insert=True)
        except IntegrityError:  # the same address signed up in parallel
            client = same_address.get(key=email.lower())
    return Client.objects.select_for_update().get(pk=client.pk)


def _known(*, owner, email: str) -> bool:
    return Client.objects.owned_by(owner).filter(email__iexact=email.strip()).exists()


def _recently_asked(membership: Membership) -> bool:
    since = timezone.now() - timedelta(seconds=settings.SUBSCRIBE_RESEND_WINDOW)
    return (
        membership.status == Membership.Status.PENDING
        and ConsentRecord.objects.filter(
            client_id=membership.client_id,
            mailing_list_id=membership.mailing_list_id,
            confirmed_at__isnull=True,
            created_at__gte=since,
        ).exists()
    )


def _ask_to_confirm(*, membership: Membership, visitor: Visitor) -> SignUp:
    if _recently_asked(membership):
        return SignUp.CONFIRMATION_PENDING
    if membership.status != Membership.Status.PENDING:
        membership.status, membership.left_at = Membership.Status.PENDING, None
        membership.save(update_fields=["status", "left_at"])
    consent = ConsentRecord.objects.create(
        client=membership.client,
        mailing_list=membership.mailing_list,
        source=ConsentRecord.Source.FORM,
        ip_address=visitor.ip_address,
        user_agent=visitor.user_agent[:512],
    )
    confirmation_send(consent=consent)
    return SignUp.CONFIRMATION_SENT


@transaction.atomic
def subscribe(*, mailing_list: MailingList, email: str, full_name: str, visitor: Visitor) -> SignUp:
    """A visitor put `email` on the list through its public form.

    Confirmation is asked for on a double opt-in list, and on any list for an address
    that is not active (waiting, or unsubscribed: someone else may be typing it) or that
    left this list: only the mailbox's holder may bring it back.
    """
    owner = mailing_list.owner
    held = suppression_of(owner_id=owner.pk, email=email)
    if held is not None and not held.recipient_may_lift and not _known(owner=owner, email=email):
        # A bounced or complained address deleted since: not stored again, not written
        # to, and the visitor sees the answer a new address gets.
        return SignUp.CONFIRMATION_SENT
    # An address that left keeps its status: asked to confirm below, as any inactive one is.
    client = _client_locked(
        owner=owner,
        email=email,
        full_name=full_name,
        pending=mailing_list.double_opt_in,
        held=held,
    )
    if client.status in SUPPRESSED:
        # The answer a new address gets: the form tells nobody who bounced or complained.
        return SignUp.CONFIRMATION_SENT
    membership, joined = Membership.objects.get_or_create(
        client=client,
        mailing_list=mailing_list,
        defaults={"status": Membership.Status.PENDING},
    )
    membership.client, membership.mailing_list = client, mailing_list
    is_member = membership.status == Membership.Status.SUBSCRIBED
    if is_member and client.status == Client.Status.ACTIVE:
        return SignUp.ALREADY_SUBSCRIBED
    must_confirm = (
        mailing_list.double_opt_in
        or client.status != Client.Status.ACTIVE
        or not (joined or is_member)
    )
    if must_confirm:
        return _ask_to_confirm(membership=membership, visitor=visitor)
    membership.status = Membership.Status.SUBSCRIBED
    membership.save(update_fields=["status"])
    ConsentRecord.objects.create(
        client=client,
        mailing_list=mailing_list,
        source=ConsentRecord.Source.FORM,
        ip_address=visitor.ip_address,
        user_agent=visitor.user_agent[:512],
    )
    return SignUp.SUBSCRIBED


@transaction.atomic
def rejoin(*, membership: Membership, visitor: Visitor) -> SignUp:
    """The recipient asks, from the preference centre, to be on a list again: it takes a
    confirmation by email, as a new sign-up would."""
    client = Client.objects.select_for_update().get(pk=membership.client_id)
    membership = Membership.objects.select_related("mailing_list__owner").get(pk=membership.pk)
    membership.client = client
    if client.status in SUPPRESSED:
        return SignUp.CONFIRMATION_SENT
    if membership.status == Membership.Status.SUBSCRIBED and client.status == Client.Status.ACTIVE:
        return SignUp.ALREADY_SUBSCRIBED
    return _ask_to_confirm(membership=membership, visitor=visitor)


def memberships_of(client: Client):
    """The lists the client is on, has been asked to confirm, or left: the preference
    centre's rows."""
    return (
        Membership.objects.filter(client=client)
        .select_related("mailing_list")
        .order_by("mailing_list__name", "pk")
    )


def preferences_of(client: Client):
    """The preference centre's rows, each with `shown_status`: what the list sends the
    recipient now. Only an active client receives anything, so after unsubscribing from
    everything (or a bounce, a complaint) no row reads «subscribed», and until a
    double opt-in is confirmed every list waits for it; the rows keep their own status,
    which "Subscribe again" brings back as it was."""
    Status = Membership.Status
    if client.status == Client.Status.ACTIVE:
        shown = F("status")
    elif client.status == Client.Status.PENDING:
        shown = Case(
            When(status=Status.SUBSCRIBED, then=Value(Status.PENDING)), default=F("status")
        )
    else:
        shown = Value(Status.UNSUBSCRIBED)
    return memberships_of(client).annotate(shown_status=shown)


def leave(*, membership: Membership) -> bool:
    """The recipient leaves one list (idempotent); their other lists stay."""
    changed = (
        Membership.objects.filter(pk=membership.pk)
        .exclude(status=Membership.Status.UNSUBSCRIBED)
        .update(status=Membership.Status.UNSUBSCRIBED, left_at=timezone.now())
    )
    membership.refresh_from_db(fields=["status", "left_at"])
    return bool(changed)


def confirmation_token(consent: ConsentRecord) -> str:
    return signing.dumps({"consent": consent.pk}, salt=CONFIRM_SALT, compress=True)


def confirmation_url(consent: ConsentRecord) -> str:
    path = reverse(
        "subscriptions:confirm", args=[consent.mailing_list.token, confirmation_token(consent)]
    )
    return settings.SITE_URL + path


def confirmation_send(*, consent: ConsentRecord) -> None:
    """The one email with the link, in the list's language, from the list's sender by
    name (at the platform's address, which passes the receivers' checks); queued
    (sending/mail_queue.py), never sent from the request."""
    mailing_list = consent.mailing_list
    sender = list_sender(mailing_list)
    with translation.override(mailing_list.language):
        context = {
            "list": mailing_list,
            "sender": sender,
            "url": confirmation_url(consent),
            "days": settings.SUBSCRIBE_CONFIRM_DAYS,
        }
        EmailMessage(
            # One line, whatever was stored before names refused line breaks.
            subject=gettext("Confirm your subscription to “%(list)s”")
            % {"list": " ".join(mailing_list.name.split())},
            body=render_to_string("audience/email/subscribe_confirm.txt", context),
            from_email=formataddr((sender.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])),
            to=[consent.client.email],
            reply_to=[sender.email],
        ).send()


def link_outlived(token: str) -> bool:
    """Whether this is a confirmation link we made (at any time) whose list, or whole
    account, was deleted since: the sign-up is gone, the link was not mistyped."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return False
    consent_id = data.get("consent") if isinstance(data, dict) else None
    if not isinstance(consent_id, int) or isinstance(consent_id, bool):
        return False
    # A list's deletion leaves its consent records (SET_NULL); an account's takes them.
    return not ConsentRecord.objects.filter(pk=consent_id, mailing_list__isnull=False).exists()


def consent_for_link(*, mailing_list: MailingList, token: str) -> ConsentRecord:
    """The sign-up a confirmation link names, if the link is ours, for this list and
    fresh. Raises LinkInvalid or LinkExpired."""
    try:
        data = signing.loads(
            token, salt=CONFIRM_SALT, max_age=timedelta(days=settings.SUBSCRIBE_CONFIRM_DAYS)
        )
    except signing.SignatureExpired as error:
        raise LinkExpired from error
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as error:
        raise LinkInvalid from error
    consent_id = data.get("consent") if isinstance(data, dict) else None
    if not isinstance(consent_id, int) or isinstance(consent_id, bool):
        raise LinkInvalid
    consent = (
        ConsentRecord.objects.select_related("client")
        .filter(pk=consent_id, mailing_list=mailing_list)
        .first()
    )
    if consent is None:
        raise LinkInvalid
    return consent


@transaction.atomic
def confirm(*, consent: ConsentRecord) -> Client:
    """Follow the link: the membership is subscribed and the client active (unless it
    bounced or complained meanwhile: those are never made active again). Raises LinkUsed
    for a link used already or made for a sign-up that is over (the client left the
    list, or was put on it another way)."""
    client = Client.objects.select_for_update().get(pk=consent.client_id)
    consent = ConsentRecord.objects.select_for_update().get(pk=consent.pk)
    membership = Membership.objects.filter(
        client=client, mailing_list_id=consent.mailing_list_id
    ).first()
    if (
        consent.confirmed_at is not None
        or membership is None
        or membership.status != Membership.Status.PENDING
    ):
        raise LinkUsed
    now = timezone.now()
    consent.confirmed_at = now
    consent.save(update_fields=["confirmed_at"])
    membership.status, membership.confirmed_at, membership.left_at = (
        Membership.Status.SUBSCRIBED,
        now,
        None,
    )
    membership.save(update_fields=["status", "confirmed_at", "left_at"])
    # Their own choice, made from their mailbox: it ends their unsubscribe (and the
    # webhooks hear of it).
    client_set_status(client=client, to=Client.Status.ACTIVE, reason=Reason.CONFIRMATION, at=now)
    return client
