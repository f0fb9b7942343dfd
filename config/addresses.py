"""Which network addresses a user may make the platform connect to (their relay, their
webhook URL): only addresses on the public internet.

`ipaddress.is_global` alone is not enough: an IPv6 address may carry an IPv4 one
(IPv4-compatible `::127.0.0.1`, IPv4-mapped `::ffff:10.0.0.1`, NAT64 `64:ff9b::a00:1`,
6to4 `2002:a00:1::`) that the operating system or a gateway turns back into the IPv4
address, while `is_global` judges only the IPv6 prefix.
"""

import ipaddress

# RFC 6052's well-known prefix: the last 32 bits are the IPv4 address.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 8215's prefix for local NAT64 translators: where the IPv4 address sits is up to
# the network, so none of it is taken.
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
# The deprecated IPv4-compatible addresses (RFC 4291 §2.5.5.1): ::a.b.c.d.
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it stands for one."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_is_public(address: str) -> bool:
    """Whether the address (as getaddrinfo gives it, a zone id allowed) is on the public
    internet, including the IPv4 address it may carry. Anything unreadable is not."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if ip.version == 6:
        if ip in LOCAL_NAT64:
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            # `::` and `::1` are in ::/96 too: neither is a usable IPv4 address.
            return inner.is_global and (ip.ipv4_mapped is not None or ip.is_global)
    return ip.is_global
