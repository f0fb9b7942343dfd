"""The DNS records a domain publishes for us, and a check of what DNS really holds.

Every record is TXT, printed as `NAME TXT "VALUE"`: the DKIM key, an SPF include
suggestion, a DMARC policy, and with BOUNCE_DOMAIN the SPF of the return path.
"""

from dataclasses import asdict, dataclass

import dns.exception
import dns.resolver
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

OK, MISSING, WRONG, ERROR = "ok", "missing", "wrong", "error"
STATE_LABELS = {
    OK: gettext_lazy("ok"),
    MISSING: gettext_lazy("missing"),
    WRONG: gettext_lazy("wrong"),
    ERROR: gettext_lazy("not checked"),
}
KIND_LABELS = {
    "dkim": gettext_lazy("DKIM key"),
    "spf": gettext_lazy("SPF"),
    "dmarc": gettext_lazy("DMARC policy"),
    "return_path": gettext_lazy("Return path SPF"),
}


@dataclass(frozen=True)
class Record:
    kind: str
    name: str
    value: str

    def line(self) -> str:
        return f'{self.name} TXT "{self.value}"'


@dataclass
class Result:
    kind: str
    name: str
    expected: str
    state: str
    found: list[str]
    message: str = ""

    as_dict = asdict


def spf_value() -> str:
    return f"v=spf1 include:{settings.SPF_INCLUDE} ~all"


def spf_merged(found: list[str]) -> str:
    """The one SPF record to publish instead of what the domain has: every mechanism it
    already allows (from each record, as two records fail SPF permanently, RFC 7208 4.5)
    plus our include, before the first record's `all` or `redirect=`."""
    terms: list[str] = []
    ending = ""
    for text in found:
        parts = text.split()
        if not parts or parts[0].lower() != "v=spf1":
            continue
        for term in parts[1:]:
            if term.lower().lstrip("+-~?") == "all" or term.lower().startswith("redirect="):
                ending = ending or term
            elif term.lower() not in (known.lower() for known in terms):
                terms.append(term)
    ours = f"include:{settings.SPF_INCLUDE}"
    if ours.lower() not in (term.lower() for term in terms):
        terms.append(ours)
    return " ".join(["v=spf1", *terms, ending or "~all"])


def records_for(domain) -> list[Record]:
    records = [
        Record(
            "dkim",
            f"{domain.selector}._domainkey.{domain.domain}",
            f"v=DKIM1; k=rsa; p={domain.public_key}",
        ),
        Record("spf", domain.domain, spf_value()),
        Record("dmarc", f"_dmarc.{domain.domain}", "v=DMARC1; p=none; adkim=r; aspf=r"),
    ]
    if settings.BOUNCE_DOMAIN:
        records.append(Record("return_path", settings.BOUNCE_DOMAIN, spf_value()))
    return records


class ResolverMisconfigured(Exception):
    pass


def resolver() -> dns.resolver.Resolver:
    """The resolver of DNS_RESOLVER (host:port), else the system's; no cache."""
    if settings.DNS_RESOLVER:
        host, _sep, port = settings.DNS_RESOLVER.rpartition(":")
        if not host or not port.isdigit():
            raise ResolverMisconfigured(
                _("DNS_RESOLVER must be host:port, not %(value)s.")
                % {"value": settings.DNS_RESOLVER}
            )
        answerer = dns.resolver.Resolver(configure=False)
        try:
            answerer.nameservers = [host.strip("[]")]
        except ValueError as error:
            raise ResolverMisconfigured(
                _("DNS_RESOLVER must name the resolver by its IP address: %(error)s")
                % {"error": error}
            ) from error
        answerer.port = int(port)
    else:
        answerer = dns.resolver.Resolver()
    answerer.timeout = answerer.lifetime = settings.DNS_TIMEOUT
    return answerer


def txt_lookup(name: str, answerer: dns.resolver.Resolver) -> list[str]:
    """The TXT strings at `name` (each record's strings joined); [] when none exist."""
    try:
        answer = answerer.resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


def _tags(text: str) -> dict[str, str]:
    tags = {}
    for part in text.split(";"):
        key, _sep, value = part.partition("=")
        tags[key.strip().lower()] = "".join(value.split())
    return tags


def _judge(record: Record, found: list[str]) -> str:
    if record.kind == "dkim":
        keys = [_tags(text).get("p") for text in found if "p=" in text]
        if not keys:
            return MISSING
        return OK if _tags(record.value)["p"] in keys else WRONG
    if record.kind in ("spf", "return_path"):
        spf = [text for text in found if text.lower().startswith("v=spf1")]
        if not spf:
            return MISSING
        include = f"include:{settings.SPF_INCLUDE}".lower()
        # Two SPF records make SPF fail permanently (RFC 7208 4.5).
        return OK if len(spf) == 1 and include in spf[0].lower().split() else WRONG
    dmarc = [text for text in found if text.startswith("v=DMARC1")]
    if len(dmarc) == 1:
        return OK
    return WRONG if dmarc or found else MISSING


def records_check(records: list[Record]) -> list[Result]:
    """Look each record up. A resolver that times out or fails marks what it could not
    look up as not checked, with the reason, instead of failing the whole check."""
    try:
        answerer = resolver()
    except ResolverMisconfigured as error:
        return [Result(r.kind, r.name, r.value, ERROR, [], str(error)) for r in records]
    results = []
    for record in records:
        try:
            found = txt_lookup(record.name, answerer)
        except dns.exception.Timeout:
            message = _("The DNS server did not answer within %(seconds)s seconds.") % {
                "seconds": f"{settings.DNS_TIMEOUT:g}"
            }
            results.append(Result(record.kind, record.name, record.value, ERROR, [], message))
            continue
        except (dns.exception.DNSException, OSError) as error:
            message = _("The DNS lookup failed: %(error)s") % {"error": error}
            results.append(Result(record.kind, record.name, record.value, ERROR, [], message))
            continue
        results.append(Result(record.kind, record.name, record.value, _judge(record, found), found))
    return results
