"""Where a fetch may go: schemes, and which addresses it may connect to.

A feed server, or whoever answers DNS for its name, must not be able to
send the fetcher to internal services: loopback, private, link-local and
cloud-metadata addresses (169.254.169.254 and friends). So every address
connected to must be public, except on hosts the feed list opted in
(`allow_private: true` on a feed, or a URL that names the address itself,
127.0.0.1 or localhost, which no DNS answer can change). Metadata addresses
are refused even then. `connect.Route` applies this to each socket it opens.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable, Optional, Sequence
from urllib.parse import urlparse

WEB_SCHEMES = ("http", "https")

# Cloud metadata and instance services: AWS/GCP/Azure (169.254.169.254), AWS
# ECS task metadata and DNS, Alibaba Cloud, Oracle Cloud, AWS over IPv6.
METADATA_ADDRESSES = frozenset({"169.254.169.254", "169.254.170.2", "169.254.169.253",
                                "100.100.100.200", "192.0.0.192", "fd00:ec2::254"})

Resolver = Callable[[str, int], Sequence[str]]


class AddressRefused(Exception):
    """A URL the fetcher will not request; the message is the one-line reason."""


class AddressNotAllowed(AddressRefused):
    """A host whose addresses the policy does not let a fetch connect to."""


def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (a literal IP resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise AddressRefused(f"cannot resolve {host}: {err.strerror}") from None
    return sorted({info[4][0] for info in infos})


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses count as public, and how names are resolved.

    `extra_public` lists networks to treat as public although they are not
    globally routable: the tests use it to play a public host on loopback,
    and an operator whose "public" web is a NAT range can use it too.
    `resolver` replaces the system's lookup (tests play a rebinding DNS
    server with it); it must be a picklable function.
    """

    extra_public: tuple[str, ...] = ()
    resolver: Optional[Resolver] = None

    def lookup(self, host: str, port: int) -> list[str]:
        addresses = list((self.resolver or resolve)(host, port))
        if not addresses:
            raise AddressRefused(f"cannot resolve {host}: no address")
        return addresses

    def is_public(self, address: str) -> bool:
        ip = _ip(address)
        if str(ip) in METADATA_ADDRESSES:
            return False
        if any(ip in ipaddress.ip_network(net, strict=False) for net in self.extra_public):
            return True
        return ip.is_global

    def allows(self, address: str, private_ok: bool) -> bool:
        """May a fetch connect to `address` (on an opted-in host if `private_ok`)?"""
        if str(_ip(address)) in METADATA_ADDRESSES:
            return False
        return private_ok or self.is_public(address)

    def why_refused(self, address: str) -> str:
        if str(_ip(address)) in METADATA_ADDRESSES:
            return "a cloud metadata address"
        return "not a public address"


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _ip(address: str):
    """The address to judge: an IPv6 address that carries an IPv4 one
    (::ffff:10.0.0.1, NAT64's 64:ff9b::10.0.0.1, 6to4) is judged by the IPv4
    address it reaches; a scoped one ("fe80::1%eth0") without its zone."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour:
            return ip.sixtofour
    return ip


def names_its_address(host: str) -> bool:
    """A host written as an IP literal or as localhost: no DNS answer decides
    where it goes, so listing it is choosing that address."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        _ip(host)
    except ValueError:
        return False
    return True


def host_and_port(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if parsed.scheme not in WEB_SCHEMES:
        raise AddressRefused(f"unsupported URL scheme {parsed.scheme!r}")
    if not parsed.hostname:
        raise AddressRefused(f"URL has no host: {url}")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused(f"URL has an invalid port: {url}") from None
    return parsed.hostname, port


def check_redirect_scheme(target: str) -> None:
    """Raise AddressRefused for a redirect to anything but http(s); where it
    may connect is checked when it connects."""
    scheme = urlparse(target).scheme.lower()
    if scheme not in WEB_SCHEMES:
        raise AddressRefused(f"redirect to a {scheme or 'relative'} URL refused: {target}")
