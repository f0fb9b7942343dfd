"""Who posts the public forms and how often: the visitor's address (behind the proxy as
the login's rate limits see it) and the limits per visitor's address and per mailbox
signed up (sub-addresses folded: config/limits.py). While the cache is down nothing is
limited: the honeypot, the proof of work and the one-email-per-window rule still hold."""

import ipaddress

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import PermissionDenied

from config.limits import limit_hit, mailbox_of

from .subscriptions import Visitor


def client_address(request) -> str:
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # allauth found no usable address in the headers
        return request.META.get("REMOTE_ADDR", "")


def visitor_of(request) -> Visitor:
    address = client_address(request).strip()
    try:
        ip_address = str(ipaddress.ip_address(address))
    except ValueError:
        ip_address = None  # kept out of the consent record rather than stored wrong
    return Visitor(ip_address=ip_address, user_agent=request.headers.get("user-agent", ""))


def visitor_within_limit(request) -> bool:
    return limit_hit(
        scope="subscribe-ip",
        ident=client_address(request),
        limit=settings.SUBSCRIBE_IP_LIMIT,
        window=settings.SUBSCRIBE_LIMIT_WINDOW,
    )


def address_within_limit(email: str) -> bool:
    return limit_hit(
        scope="subscribe-email",
        ident=mailbox_of(email),
        limit=settings.SUBSCRIBE_ADDRESS_LIMIT,
        window=settings.SUBSCRIBE_LIMIT_WINDOW,
    )
