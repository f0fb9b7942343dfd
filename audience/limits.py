"""Who posts the public forms and how often: the visitor's address (behind the proxy as
the login's rate limits see it) and fixed-window counters in the cache, per visitor's
address and per email signed up. While the cache is down nothing is limited: the
honeypot, the proof of work and the one-email-per-window rule still hold."""

import hashlib
import ipaddress

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

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


def _within(kind: str, value: str, limit: int) -> bool:
    """One more hit on `value`; False past `limit` in the current window."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"subscribe-limit:{kind}:{digest}"
    cache.add(key, 0, timeout=settings.SUBSCRIBE_LIMIT_WINDOW)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the cache is down (or the window closed in between)
        return True


def visitor_within_limit(request) -> bool:
    return _within("ip", client_address(request), settings.SUBSCRIBE_IP_LIMIT)


def address_within_limit(email: str) -> bool:
    return _within("email", email.strip().lower(), settings.SUBSCRIBE_ADDRESS_LIMIT)
