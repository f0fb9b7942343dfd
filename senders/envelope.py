"""What the sending engine asks of this app for one mailing: who it is from, where
replies and bounces go, its list and feedback ids, and the DKIM signer when the
sender's domain is verified (`envelope_for`), plus the proofs a report about one of our
emails can carry: the VERP bounce token and the signed Message-ID."""

import re
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing

from .keys import KeyUnusable
from .models import Brand, Sender
from .selectors import default_sender
from .signing import DkimSigner

BOUNCE_SALT = "senders.bounce"
MESSAGE_ID_SALT = "senders.message_id"
# "." instead of ":" keeps the token a plain local part (RFC 5321 dot-string), and the
# Message-ID a dot-atom (RFC 5322).
_bounce_signer = signing.Signer(salt=BOUNCE_SALT, sep=".")
# <delivery.attempt.signature@domain>, with or without the brackets (some providers'
# events drop them), wherever it stands in a header or an event.
_SIGNED_MESSAGE_ID = re.compile(r"(?<![\w.])(\d{1,18}\.\d{1,18}\.[\w-]{20,100})@", re.ASCII)


class SigningUnavailable(Exception):
    """A domain that signs has a key we cannot use: send nothing rather than unsigned."""


def bounce_address(delivery_id: int) -> str:
    return f"bounce+{_bounce_signer.sign(str(delivery_id))}@{settings.BOUNCE_DOMAIN}"


def delivery_id_from_bounce(address: str) -> int | None:
    """The delivery a VERP return path was made for, or None when we did not make it."""
    local = parseaddr(address)[1].rpartition("@")[0]
    if not local.startswith("bounce+"):
        return None
    try:
        value = _bounce_signer.unsign(local.removeprefix("bounce+"))
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def _message_id_signer() -> signing.Signer:
    # Made when needed: it reads SECRET_KEY and SECRET_KEY_FALLBACKS as they are now (a
    # bounce may come back days after a key rotation). Its "." keeps the id a dot-atom.
    return signing.Signer(salt=MESSAGE_ID_SALT, sep=".")


def message_id(*, delivery_id: int, attempt_id: int, domain: str) -> str:
    """The Message-ID of one delivery: its ids and their HMAC (keyed from SECRET_KEY). A
    report that names it proves it is about an email we sent; bare ids could be guessed."""
    signed = _message_id_signer().sign(f"{delivery_id}.{attempt_id}")
    return f"<{signed}@{domain}>"


def delivery_of_message_id(text: str) -> tuple[int, int] | None:
    """(delivery id, attempt id) of the first Message-ID in `text` that we made (its
    signature verifies, SECRET_KEY_FALLBACKS included), or None."""
    for found in _SIGNED_MESSAGE_ID.finditer(text):
        try:
            value = _message_id_signer().unsign(found.group(1))
        except signing.BadSignature:
            continue
        delivery_id, _dot, attempt_id = value.partition(".")
        return int(delivery_id), int(attempt_id)
    return None


def platform_domain() -> str:
    """Our own domain for Message-ID and List-Id without a sender: DEFAULT_FROM_EMAIL's,
    else the site's."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    if not domain or domain == "localhost":
        domain = urlsplit(settings.SITE_URL).hostname or domain or "localhost"
    return domain


@dataclass(frozen=True)
class Envelope:
    from_header: str
    from_address: str
    reply_to: str
    domain: str  # of Message-ID and List-Id
    list_id: str
    feedback_id: str
    sender_name: str  # named in the footer and on the unsubscribe page
    postal_address: str
    signer: DkimSigner | None

    def return_path(self, delivery_id: int) -> str:
        if settings.BOUNCE_DOMAIN:
            return bounce_address(delivery_id)
        return self.from_address


@dataclass(frozen=True)
class BrandStyle:
    """A user's brand as the renderer needs it (validated: a #RRGGBB colour, an http(s)
    logo address)."""

    accent_color: str
    logo_url: str
    footer_text: str


def brand_of(owner_id: int) -> BrandStyle | None:
    """The owner's brand, or None when they never set one (emails stay minimal)."""
    brand = Brand.objects.filter(owner_id=owner_id).first()
    if brand is None:
        return None
    return BrandStyle(
        accent_color=brand.accent_color, logo_url=brand.logo_url, footer_text=brand.footer_text
    )


def sender_of(mailing) -> Sender | None:
    """The mailing's sender while it stays usable; else None (the platform's address)."""
    if mailing.sender_id is None:
        return None
    return Sender.objects.usable_by(mailing.owner_id).filter(pk=mailing.sender_id).first()


def envelope_for(mailing) -> Envelope:
    """Raises SigningUnavailable when the sender's verified domain has an unusable key."""
    return _envelope(
        mailing.owner, sender_of(mailing), list_name=f"mailing-{mailing.pk}", campaign=mailing.pk
    )


def default_envelope(owner) -> Envelope:
    """The owner's mail outside any mailing (a test copy): from their default sender
    (selectors.default_sender), else from the platform's address with their name.
    Raises SigningUnavailable as envelope_for does."""
    return _envelope(owner, default_sender(owner), list_name="test", campaign="test")


def _envelope(owner, sender: Sender | None, *, list_name: str, campaign: int | str) -> Envelope:
    signer = None
    if sender is not None:
        domain = sender.signing_domain()
        if domain is not None:
            try:
                key = domain.private_key()
            except KeyUnusable as error:
                raise SigningUnavailable(
                    f"Not sent: the DKIM key of {domain.domain} cannot be decrypted "
                    "(FIELD_ENCRYPTION_KEY was changed?), and mail from a domain that "
                    "signs is never sent unsigned. Restore the key setting, or delete "
                    "and add the domain again to get a new key."
                ) from error
            signer = DkimSigner(domain=domain.domain, selector=domain.selector, key=key)
        # One line, whatever was stored: a line break in From would stop every email.
        name = " ".join(sender.name.split())
        address, reply_to = sender.email, sender.reply_to
        id_domain = sender.email_domain
        postal_address = sender.postal_address
    else:
        name = " ".join(owner.get_full_name().split()) or owner.email
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        reply_to, id_domain, postal_address = owner.email, platform_domain(), ""
    return Envelope(
        from_header=formataddr((name, address)),
        from_address=address,
        reply_to=reply_to,
        domain=id_domain,
        list_id=f"<{list_name}.{id_domain}>",
        feedback_id=f"{campaign}:{owner.pk}:{settings.FEEDBACK_ID_SERVICE}",
        sender_name=name,
        postal_address=postal_address,
        signer=signer,
    )
