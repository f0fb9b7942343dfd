"""Sending a real run and reading the tracked addresses out of what the server got."""

import email
import email.policy
import re
from urllib.parse import urlsplit

from mailings.lifecycle import mailing_schedule
from sending.passes import run_pass

SITE = "https://mail.rassylka.example"
TRACKED = re.compile(rf"{re.escape(SITE)}/([lo])/([^/\s\"]+)/")
BODY = (
    "# Осенние новости\n\n"
    "Здравствуйте, {{ full_name }}! [Каталог](https://shop.example/catalog?a=1&b=2) и "
    "[распродажа](https://shop.example/sale){.button}.\n\n"
    "Снова [каталог](https://shop.example/catalog?a=1&b=2), и [почта](mailto:hi@shop.example)."
)


def send(mailing, server) -> list[email.message.EmailMessage]:
    """Run the mailing now through `server`; the emails it received."""
    mailing_schedule(mailing=mailing)
    run_pass()
    return [
        email.message_from_bytes(data, policy=email.policy.default) for _, data in server.messages
    ]


def parts_of(message) -> tuple[str, str]:
    return (
        message.get_body(("html",)).get_content(),
        message.get_body(("plain",)).get_content(),
    )


def tracked(text: str, kind: str = "l") -> list[str]:
    """The local paths of the tracked addresses of `kind` in `text`, in order."""
    return [urlsplit(m.group(0)).path for m in TRACKED.finditer(text) if m.group(1) == kind]
