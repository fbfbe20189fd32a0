"""Where a fetch may go: schemes, and which addresses count as public.

Operators may list feeds on any host, intranet ones included. What the
fetcher refuses is being *sent* somewhere by a server: a redirect from a
public address to a loopback, private, link-local or cloud-metadata address
(169.254.169.254 and friends) is how a hostile feed would reach internal
services.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlparse

WEB_SCHEMES = ("http", "https")

# Metadata endpoints that are not link-local everywhere (Alibaba Cloud,
# Oracle Cloud's v6, AWS's IPv6 one) and so are named explicitly.
METADATA_ADDRESSES = frozenset({"100.100.100.200", "fd00:ec2::254", "192.0.0.192"})


class AddressRefused(Exception):
    """A URL the fetcher will not request; the message is the one-line reason."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses count as public.

    `extra_public` lists networks to treat as public although they are not
    globally routable: the tests use it to play a public host on loopback,
    and an operator whose "public" web is a NAT range can use it too.
    """

    extra_public: tuple[str, ...] = ()

    def is_public(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if str(ip) in METADATA_ADDRESSES:
            return False
        if any(ip in ipaddress.ip_network(net, strict=False) for net in self.extra_public):
            return True
        return ip.is_global

    def all_public(self, addresses: Iterable[str]) -> bool:
        return all(self.is_public(a) for a in addresses)


def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (a literal IP resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise AddressRefused(f"cannot resolve {host}: {err.strerror}") from None
    return sorted({info[4][0] for info in infos})


def host_and_port(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if parsed.scheme not in WEB_SCHEMES:
        raise AddressRefused(f"unsupported URL scheme {parsed.scheme!r}")
    if not parsed.hostname:
        raise AddressRefused(f"URL has no host: {url}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.hostname, port


def check_redirect(policy: AddressPolicy, origin_public: bool, target: str) -> None:
    """Raise AddressRefused if a redirect to `target` may not be followed."""
    scheme = urlparse(target).scheme.lower()
    if scheme not in WEB_SCHEMES:
        raise AddressRefused(f"redirect to a {scheme or 'relative'} URL refused: {target}")
    if origin_public:
        host, port = host_and_port(target)
        addresses = resolve(host, port)
        if not policy.all_public(addresses):
            raise AddressRefused(
                f"redirect from a public address to {host} ({', '.join(addresses)}) refused")
