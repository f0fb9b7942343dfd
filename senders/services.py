"""Writes of the senders app: domains added, checked and trusted; senders confirmed."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import DomainNameValidator
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.limits import limit_hit, mailbox_of

from .dns_checks import ERROR, OK, records_check, records_for
from .models import Domain, Sender, email_domain

CONFIRM_SALT = "senders.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600


def domain_normalise(text: str) -> str:
    """A domain as typed (any case, a trailing dot, an IDN) as kept: lower-case ASCII.
    Raises ValidationError with a message a user can act on."""
    domain = text.strip().rstrip(".").lower()
    if "@" in domain or "/" in domain or " " in domain:
        raise ValidationError(
            _("Enter a domain name such as example.com, without an address or a link."),
            code="invalid",
        )
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValidationError(
            _("%(domain)s is not a valid international domain name.") % {"domain": domain},
            code="invalid",
        ) from error
    try:
        DomainNameValidator(accept_idna=False)(ascii_domain)
    except ValidationError as error:
        raise ValidationError(
            _("%(domain)s is not a domain name such as example.com.") % {"domain": domain},
            code="invalid",
        ) from error
    if "." not in ascii_domain:
        raise ValidationError(
            _("%(domain)s is not a domain name such as example.com.") % {"domain": domain},
            code="invalid",
        )
    return ascii_domain


def domain_add(*, owner, domain: str) -> tuple[Domain, bool]:
    """The owner's domain (created with a new DKIM key if needed) and whether it is new."""
    name = domain_normalise(domain)
    existing = Domain.objects.filter(owner=owner, domain=name).first()
    if existing is not None:
        return existing, False
    new = Domain(owner=owner, domain=name)
    new.set_new_key()
    new.save()
    return new, True


def _verify(domain: Domain, *, now) -> bool:
    """Mark verified unless another account has verified the same domain."""
    if domain.verified_at is not None:
        return True
    try:
        with transaction.atomic():
            Domain.objects.filter(pk=domain.pk).update(verified_at=now)
    except IntegrityError:
        return False
    domain.verified_at = now
    return True


def domain_trust(*, domain: Domain) -> bool:
    """An administrator's override: verified without a DNS lookup."""
    return _verify(domain, now=timezone.now())


def domain_check(*, domain: Domain) -> list[dict]:
    """Look up every record, keep what was found, and verify the domain once its DKIM
    record serves our key. A record found missing or wrong takes the verification back
    (mail would no longer pass); a lookup that failed changes nothing."""
    now = timezone.now()
    results = [result.as_dict() for result in records_check(records_for(domain))]
    dkim = next(result for result in results if result["kind"] == "dkim")
    if dkim["state"] == OK:
        if not _verify(domain, now=now):
            dkim["message"] = _(
                "This domain is verified by another account: only one account may send from it."
            )
    elif dkim["state"] != ERROR and domain.verified_at is not None:
        Domain.objects.filter(pk=domain.pk).update(verified_at=None)
        domain.verified_at = None
    domain.check_results = results
    domain.checked_at = now
    domain.save(update_fields=["check_results", "checked_at"])
    return results


def domain_verified_by_another(*, owner, address: str) -> bool:
    return (
        Domain.objects.verified().filter(domain=email_domain(address)).exclude(owner=owner).exists()
    )


def confirmation_token(sender: Sender) -> str:
    return signing.dumps({"sender": sender.pk, "email": sender.email.lower()}, salt=CONFIRM_SALT)


def sender_from_token(token: str) -> Sender | None:
    """The sender a (fresh, untampered) link was made for, if its address is unchanged."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    sender = Sender.objects.filter(pk=data.get("sender")).first()
    if sender is None or sender.email.lower() != data.get("email"):
        return None
    return sender


class ConfirmationLimited(Exception):
    """Enough confirmation emails went to this address (or from this account) lately."""


def sender_confirmation_send(*, sender: Sender) -> None:
    """Email the link to the address; queued (sending/mail_queue.py), never sent inline.

    The address is someone else's until confirmed, and the email carries the account's
    words (the sender's name): at most SENDER_CONFIRM_ADDRESS_LIMIT to one mailbox and
    SENDER_CONFIRM_ACCOUNT_LIMIT from one account per SENDER_CONFIRM_WINDOW, or
    ConfirmationLimited."""
    window = settings.SENDER_CONFIRM_WINDOW
    if not limit_hit(
        scope="sender-confirm-address",
        ident=mailbox_of(sender.email),
        limit=settings.SENDER_CONFIRM_ADDRESS_LIMIT,
        window=window,
    ) or not limit_hit(
        scope="sender-confirm-account",
        ident=str(sender.owner_id),
        limit=settings.SENDER_CONFIRM_ACCOUNT_LIMIT,
        window=window,
    ):
        raise ConfirmationLimited
    url = settings.SITE_URL + reverse("senders:sender_confirm", args=[confirmation_token(sender)])
    context = {"sender": sender, "url": url, "owner": sender.owner}
    send_mail(
        subject=_("Confirm the sender address %(email)s") % {"email": sender.email},
        message=render_to_string("senders/email/confirm.txt", context),
        from_email=None,
        recipient_list=[sender.email],
    )


def sender_confirm(*, sender: Sender) -> None:
    if sender.confirmed_at is None:
        sender.confirmed_at = timezone.now()
        sender.save(update_fields=["confirmed_at", "updated_at"])


@transaction.atomic
def sender_make_default(*, sender: Sender) -> None:
    Sender.objects.filter(owner_id=sender.owner_id, is_default=True).exclude(pk=sender.pk).update(
        is_default=False
    )
    if not sender.is_default:
        sender.is_default = True
        sender.save(update_fields=["is_default", "updated_at"])
