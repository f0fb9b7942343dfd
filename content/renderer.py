"""One email per recipient: personalised subject and body, a plain-text part with an HTML
alternative, and the one-click unsubscribe of RFC 8058. A plain-text message gets a
minimal HTML part; a Markdown or HTML one (content.markup) is sanitised once per run and
its text part derived from it. Previews and test sends use this same Renderer.

User text is never given to a template engine: `{{ full_name }}`, `{{ email }}` and the
client's own fields (`{{ city | "друг" }}`) are replaced by plain substitution
(audience.placeholders), so a message cannot run template code. What
does not vary between recipients is prepared once per run (`Renderer`); the per-recipient
work is a few string joins and Django's MIME builder (about 4× faster here than the
standard library's `email.message.EmailMessage`).
"""

import email.policy
import html
import random
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from email import encoders
from email.generator import BytesGenerator
from email.mime.base import MIMEBase
from email.parser import BytesParser
from email.policy import Compat32
from email.utils import formatdate, parseaddr
from io import BytesIO

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from audience.placeholders import compile_text, fill
from audience.unsubscribe_tokens import UNSUBSCRIBE_SALT
from senders.envelope import (
    BrandStyle,
    Envelope,
    SigningUnavailable,
    brand_of,
    default_envelope,
    envelope_for,
    message_id,
    platform_domain,
)
from senders.signing import DkimSigner

from .links import Tracker, tracker_for_run
from .markup import ACCENT, email_body, email_text, folded


class _Unfolded(Compat32):
    """compat32 as Django uses it, minus two costs per header: folding our short ASCII
    headers ("List-Unsubscribe: <url>" would otherwise be broken after the colon, which
    some clients show as a leading space) and building an email.header.Header for each
    of them, which is a fifth of the CPU spent per email."""

    def fold_binary(self, name, value):
        if (
            isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and len(name) + len(value) + 2 <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


UNFOLDED = _Unfolded(max_line_length=998)


class _Generator(BytesGenerator):
    """The standard library's generator, minus a regular expression compiled for every
    message (a tenth of building one) to make sure that its random MIME boundary occurs
    nowhere in the parts: for a boundary this long, a substring test says the same."""

    @classmethod
    def _make_boundary(cls, text=None):
        while True:
            boundary = f"{'=' * 15}{random.randrange(sys.maxsize):019d}=="
            if text is None or boundary.encode("ascii") not in text:
                return boundary


def _as_bytes(mime) -> bytes:
    """What Django's `as_bytes(linesep="\\r\\n")` gives, through _Generator."""
    buffer = BytesIO()
    _Generator(buffer, mangle_from_=False).flatten(mime, linesep="\r\n")
    return buffer.getvalue()


PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
BODY_MARK = "RASSYLKA-BODY-GOES-HERE"
# The brand's frame. Inlined into style attributes once per run (css-inline) for clients
# that drop <style>; the <style> stays for the dark-mode query, which cannot be inlined.
BRAND_CSS = (
    "body{margin:0;padding:0;background:#f4f5f7}"
    ".rs-wrap{padding:16px 8px}"
    ".rs-card{max-width:600px;margin:0 auto;background:#ffffff;color:#212529;"
    "border-top:4px solid ACCENT;border-radius:6px}"
    ".rs-logo{padding:16px 16px 0}"
    ".rs-logo img{max-width:100%;height:auto;border:0}"
    ".rs-content{padding:0 16px 8px}"
    ".rs-brand-footer{padding:0 16px 16px;font-size:13px;line-height:1.4;color:#6c757d}"
    "@media (prefers-color-scheme: dark){"
    "body,.rs-wrap{background:#121212 !important}"
    ".rs-card{background:#1e1e1e !important;color:#e9ecef !important}"
    ".rs-brand-footer{color:#adb5bd !important}}"
)
TOKEN_PLACEHOLDER = "TOKEN"


def _html_block(text: str) -> str:
    """Escaped text with links, paragraphs and line breaks (placeholder values included)."""
    escaped = html.escape(text.replace("\r\n", "\n"))
    linked = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return "</p>\n<p>".join(
        paragraph.replace("\n", "<br>\n") for paragraph in PARAGRAPH_BREAK.split(linked)
    )


def _branded_page(head: str, brand: BrandStyle) -> tuple[str, str]:
    """The page around the body and footer, as (before, after), CSS inlined."""
    logo = (
        f'<div class="rs-logo"><img src="{html.escape(brand.logo_url)}" alt="" width="200"></div>'
        if brand.logo_url
        else ""
    )
    text = brand.footer_text.strip().replace("\r\n", "\n")
    footer = (
        f'<div class="rs-brand-footer">{html.escape(text).replace(chr(10), "<br>")}</div>'
        if text
        else ""
    )
    page = (
        f"{head}<style>{BRAND_CSS.replace('ACCENT', brand.accent_color)}</style></head><body>"
        f'<div class="rs-wrap"><div class="rs-card">{logo}'
        f'<div class="rs-content">{BODY_MARK}</div>{footer}</div></div></body></html>\n'
    )
    import css_inline  # here: the engine's pass imports this module, and may send nothing

    inlined = css_inline.inline(page, keep_style_tags=True).replace("><", ">\n<")
    before, _mark, after = folded(inlined.replace("}", "}\n")).partition(BODY_MARK)
    return before, after


def attachments_of(message) -> list[tuple[str, str, bytes]]:
    """(name, content type, content) of the files sent with `message`."""
    rows = message.attachments.order_by("pk").values_list("name", "content_type", "data")
    return [(name, content_type, bytes(data)) for name, content_type, data in rows]


def _attachment_part(name: str, content_type: str, data: bytes) -> MIMEBase:
    main, _slash, sub = content_type.partition("/")
    part = MIMEBase(main, sub)
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=name)
    return part


@dataclass(frozen=True)
class Recipient:
    delivery_id: int
    client_id: int
    email: str
    full_name: str
    # The client's own fields, for {{ city }} placeholders.
    attributes: Mapping[str, str] = field(default_factory=dict)


def recipient_as(client=None) -> Recipient:
    """Whom a preview or a test copy is personalised as: the client (their name, address
    and fields), or a sample recipient without one."""
    if client is None:
        return Recipient(
            delivery_id=0,
            client_id=0,
            email="recipient@example.com",
            full_name=_("Anna Smirnova"),
        )
    return Recipient(
        delivery_id=0,
        client_id=client.pk,
        email=client.email,
        full_name=client.full_name,
        attributes=client.attributes,
    )


@dataclass(frozen=True)
class Email:
    envelope_to: str
    data: bytes
    envelope_from: str = ""
    # Set while `data` still waits for its DKIM signature, which `signed()` adds: the
    # engine signs in the connections' threads, where OpenSSL's RSA runs without the GIL.
    signer: DkimSigner | None = None

    def signed(self) -> "Email":
        if self.signer is None:
            return self
        return replace(self, data=self.signer.sign(self.data), signer=None)


class Renderer:
    """Builds the emails of one run; construct once, then `render()` per recipient.

    With an `envelope` (senders.envelope_for: the mailing's sender, ids and DKIM signer)
    the emails go out as that sender; without one, from DEFAULT_FROM_EMAIL as before.
    With a `tracker` (content.links) the body's links are tracked and the HTML part gets
    an open pixel; the unsubscribe link and headers never are.
    """

    def __init__(
        self,
        *,
        subject: str,
        body: str,
        attempt_id: int,
        language: str | None = None,
        envelope: Envelope | None = None,
        mailing_id: int | None = None,
        body_format: str = "plain",
        brand: BrandStyle | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
        tracker: Tracker | None = None,
        sample: bool = False,
    ):
        self.attempt_id = attempt_id
        # A preview or test copy: its unsubscribe link is a marked sample that changes
        # nothing, so a copy shown or forwarded cannot act for the client it imitates.
        self.sample = sample
        # Encoded once per run; every email carries the same parts.
        self.attachment_parts = [_attachment_part(*attachment) for attachment in attachments]
        self.mailing_id = mailing_id
        self.envelope = envelope
        self.subject_parts = compile_text(subject.replace("\r", " ").replace("\n", " "))
        head_css = ""
        if body_format == "plain":
            self.body_parts = compile_text(body)
            # The literal parts escaped for HTML once per run; values per recipient.
            self.body_html_parts = [
                part if index % 2 else _html_block(part)
                for index, part in enumerate(self.body_parts)
            ]
            self.fill_html, self.html_open, self.html_close = _html_block, "<p>", "</p>"
        else:
            # Sanitised and styled once per run; the text part derived from it.
            prepared = email_body(body, body_format, accent=brand.accent_color if brand else ACCENT)
            self.body_parts = compile_text(email_text(prepared.html))
            self.body_html_parts = compile_text(prepared.html, is_html=True)
            head_css = prepared.head_css
            self.fill_html, self.html_open, self.html_close = html.escape, "", ""
        self.tracker = tracker
        if tracker is not None:
            self.body_parts = tracker.rewrite_text(self.body_parts, URL)
            self.body_html_parts = tracker.rewrite_html(self.body_html_parts)
        self.extra_headers: dict[str, str] = {}
        self.reply_to: list[str] = []
        if envelope is None:
            self.from_email = settings.DEFAULT_FROM_EMAIL
            self.envelope_from = parseaddr(sanitize_address(self.from_email, "utf-8"))[1]
            self.domain = platform_domain()
        else:
            self.from_email = envelope.from_header
            self.envelope_from = envelope.from_address
            self.domain = envelope.domain
            self.reply_to = [envelope.reply_to] if envelope.reply_to else []
            self.extra_headers = {"List-Id": envelope.list_id, "Feedback-ID": envelope.feedback_id}
        self.dkim = envelope.signer if envelope else None
        path = reverse("sending:unsubscribe", args=[TOKEN_PLACEHOLDER])
        self.unsubscribe_prefix, self.unsubscribe_suffix = (settings.SITE_URL + path).split(
            TOKEN_PLACEHOLDER
        )
        self.signer = signing.Signer(salt=UNSUBSCRIBE_SALT)
        with translation.override(language or settings.LANGUAGE_CODE):
            if envelope is None:
                footer = _(
                    "You receive this email because you are on our mailing list. "
                    "To unsubscribe, open this link: {url}"
                )
            else:
                footer = _(
                    "You receive this email because you are on the mailing list of {sender}. "
                    "To unsubscribe, open this link: {url}"
                )
            # Split around the link once, the sender's name put in as plain text: user
            # text never goes through str.format (a name may hold braces).
            before, _link, after = footer.partition("{url}")
            sender_name = envelope.sender_name if envelope else ""
            before, after = (part.replace("{sender}", sender_name) for part in (before, after))
            postal = envelope.postal_address.strip().replace("\r\n", "\n") if envelope else ""
            self.text_footer = ("\n\n-- \n" + before, after + (f"\n{postal}" if postal else ""))
            self.html_footer = (
                html.escape(before),
                html.escape(after)
                + ("<br>" + html.escape(postal).replace("\n", "<br>") if postal else ""),
            )
            self.html_lang = translation.get_language()
        head = (
            f'<!DOCTYPE html><html lang="{self.html_lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="color-scheme" content="light dark">'
        )
        # The designer's media queries and :hover rules (content.stylesheet checked them):
        # what style attributes cannot say, for the clients that read <style>. Put in
        # after the brand's frame is inlined, which they are not meant to style.
        own_style = f"<style>\n{head_css}\n</style>\n</head>" if head_css else "</head>"
        if brand is None:
            self.page_open, self.page_close = head + own_style + "<body>", "</body></html>\n"
        else:
            before, self.page_close = _branded_page(head, brand)
            self.page_open = before.replace("</head>", own_style, 1)

    @classmethod
    def for_mailing(cls, mailing, *, attempt_id: int) -> "Renderer":
        """The renderer of one run of `mailing` (message, owner and sender loaded).
        Raises senders.envelope.SigningUnavailable when its domain's key is unusable."""
        tracker = tracker_for_run(mailing, attempt_id=attempt_id)
        renderer = cls(
            subject=mailing.message.subject,
            body=mailing.message.body,
            attempt_id=attempt_id,
            language=mailing.language,
            envelope=envelope_for(mailing),
            mailing_id=mailing.pk,
            body_format=mailing.message.format,
            brand=brand_of(mailing.owner_id),
            attachments=attachments_of(mailing.message),
            tracker=tracker,
        )
        if tracker is not None:
            tracker.links_save()
        return renderer

    @classmethod
    def for_message(
        cls, message, *, mailing=None, subject_prefix: str = "", signed: bool = False
    ) -> "Renderer":
        """A renderer of `message` outside any run (preview, test send), as `mailing` (its
        sender and language) would send it; without one, as the owner's own mail: from
        their default sender (senders.envelope.default_envelope), in the page's language.
        Signed only when asked (a test copy, which a receiver judges like any email) and
        the key is usable: a broken key must not stop a preview or a test. Untracked: the
        links are the message's own, and nothing is counted. Its unsubscribe link is a
        sample: the client's own is in their emails alone."""
        try:
            envelope = (
                envelope_for(mailing) if mailing is not None else default_envelope(message.owner)
            )
        except SigningUnavailable:
            envelope = None
        else:
            if not signed:
                envelope = replace(envelope, signer=None)
        return cls(
            subject=subject_prefix + message.subject,
            body=message.body,
            attempt_id=0,
            language=mailing.language if mailing else translation.get_language(),
            envelope=envelope,
            mailing_id=mailing.pk if mailing else None,
            body_format=message.format,
            brand=brand_of(message.owner_id),
            attachments=attachments_of(message),
            sample=True,
        )

    def unsubscribe_url(self, client_id: int) -> str:
        if self.sample:
            return settings.SITE_URL + reverse("sending:unsubscribe_sample")
        # With the mailing, the page speaks its language and names its sender.
        token = self.signer.sign_object(
            client_id if self.mailing_id is None else [client_id, self.mailing_id]
        )
        return f"{self.unsubscribe_prefix}{token}{self.unsubscribe_suffix}"

    def render(self, recipient: Recipient, *, sign: bool = True, to: str = "") -> Email:
        """The recipient's email; with `sign=False`, a DKIM signature still to add is
        left to `Email.signed()`. With `to`, their email goes to that address instead (a
        test copy: their name and fields in it, the tester's mailbox on it)."""
        # Fields written past the forms (the admin) may be any JSON: only an object counts.
        fields = recipient.attributes if isinstance(recipient.attributes, Mapping) else {}
        values = {**fields, "full_name": recipient.full_name, "email": recipient.email}
        pixel = ""
        if self.tracker is not None:
            values.update(self.tracker.links_of(recipient.delivery_id))
            pixel = self.tracker.pixel_of(recipient.delivery_id)
        url = self.unsubscribe_url(recipient.client_id)
        to = to or recipient.email
        subject = fill(self.subject_parts, values).replace("\n", " ").replace("\r", " ")
        text = fill(self.body_parts, values) + url.join(self.text_footer)
        body_html = fill(self.body_html_parts, values, self.fill_html)
        link = html.escape(url)
        footer = f'<a href="{link}">{link}</a>'.join(self.html_footer)
        page = (
            f"{self.page_open}{self.html_open}{body_html}{self.html_close}\n"
            f'<hr><p style="font-size:12px;color:#666">{footer}</p>{pixel}{self.page_close}'
        )
        message = EmailMultiAlternatives(
            subject,
            text,
            self.from_email,
            [to],
            reply_to=self.reply_to,
            headers={
                # The same id on every try of one delivery: a receiver that got the
                # message once may drop a copy the owner resends. Signed: a bounce or a
                # complaint that quotes it proves it is about this delivery.
                "Message-ID": message_id(
                    delivery_id=recipient.delivery_id,
                    attempt_id=self.attempt_id,
                    domain=self.domain,
                ),
                "Date": formatdate(usegmt=True),
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                **self.extra_headers,
            },
        )
        message.attach_alternative(page, "text/html")
        for part in self.attachment_parts:
            message.attach(part)
        envelope_to = to if to.isascii() else sanitize_address(to, "utf-8")
        mime = message.message()
        # No folding of our short headers: compat32 would break "List-Unsubscribe: <url>"
        # after the colon (legal, but some clients then show a leading space).
        mime.policy = UNFOLDED
        data = _as_bytes(mime)
        envelope_from = (
            self.envelope.return_path(recipient.delivery_id)
            if self.envelope
            else self.envelope_from
        )
        email = Email(
            envelope_to=envelope_to, data=data, envelope_from=envelope_from, signer=self.dkim
        )
        return email.signed() if sign else email


@dataclass(frozen=True)
class Preview:
    """One email as its recipient gets it, taken apart for showing."""

    subject: str
    from_header: str
    to: str
    text: str
    html: str


def preview_of(renderer: Renderer, recipient: Recipient) -> Preview:
    """The email `renderer` makes for `recipient`, read back from its bytes: what is shown
    is exactly what the engine would hand to the server."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(renderer.render(recipient).data)
    return Preview(
        subject=str(parsed["Subject"]),
        from_header=str(parsed["From"]),
        to=str(parsed["To"]),
        text=parsed.get_body(("plain",)).get_content(),
        html=parsed.get_body(("html",)).get_content(),
    )
