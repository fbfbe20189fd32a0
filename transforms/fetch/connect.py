"""One fetch's connections: only to addresses it checked, only within its budget.

A check on a name followed by a connect that looks the name up again can be
fooled: a hostile DNS server answers a public address to the check and
127.0.0.1 to the connect (DNS rebinding). So a `Route` resolves each host
once, keeps the addresses its policy allows and connects the socket to one
of those very addresses; the Host header, TLS SNI and certificate check
still use the name. Every hop of a redirect chain opens its connection
here, so the check holds on redirects too.

A socket timeout bounds each wait, not the whole: a server that sends one
byte every few seconds, in its headers or its body, never trips it. The
Route's watchdog shuts down every socket it opened once the fetch's budget
is spent, which wakes any read blocked on them.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from typing import Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util import connection as urllib3_connection

from transforms.fetch.addresses import AddressNotAllowed, AddressPolicy, AddressRefused


class Route:
    """The addresses one fetch may connect to, and its deadline.

    `private_hosts` are the host names the feed list opted in to private
    addresses; every other host must resolve to public ones. The budget
    runs from `start()`, when the first request may go: time spent queued
    behind other feeds of the same host is not this feed's. Use as a
    context manager: the connections and the watchdog end with the block.
    """

    def __init__(self, policy: AddressPolicy, private_hosts: frozenset[str],
                 budget_s: float, lookup_timeout_s: float):
        self._policy, self._private_hosts = policy, private_hosts
        self._budget_s, self._lookup_timeout_s = budget_s, lookup_timeout_s
        self.deadline = float("inf")
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._timer: Optional[threading.Timer] = None
        self.session = _session(self)

    def __enter__(self) -> "Route":
        return self

    def __exit__(self, *_exc) -> None:
        if self._timer:
            self._timer.cancel()
        self.session.close()

    def start(self) -> None:
        """Start the budget's clock and its watchdog, once."""
        if self._timer is None:
            self.deadline = time.monotonic() + self._budget_s
            self._timer = threading.Timer(self._budget_s, self.expire)
            self._timer.daemon = True
            self._timer.start()

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self.deadline

    def expire(self) -> None:
        """Out of time: shut every socket down, so blocked reads return now."""
        with self._lock:
            self._expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses of `host` this fetch may connect to, or AddressRefused."""
        found = self._lookup(host, port)
        private_ok = host.lower().rstrip(".") in self._private_hosts
        allowed = [a for a in found if self._policy.allows(a, private_ok)]
        if not allowed:
            raise AddressNotAllowed(f"connection to {host} ({', '.join(found)}) refused: "
                                    f"{self._policy.why_refused(found[0])}")
        return allowed

    def _lookup(self, host: str, port: int) -> list[str]:
        """The policy's lookup, given up on after the connect timeout or at
        the deadline: a resolver blocked in getaddrinfo cannot be woken, so
        it is left to finish on a thread of its own."""
        if _is_literal(host):
            return self._policy.lookup(host, port)  # no DNS to wait for
        outcome: list = []

        def look():
            try:
                outcome.append(self._policy.lookup(host, port))
            except Exception as err:  # handed to the fetch's thread below
                outcome.append(err)
        worker = threading.Thread(target=look, daemon=True, name=f"lookup {host}")
        worker.start()
        worker.join(max(min(self._lookup_timeout_s, self.deadline - time.monotonic()), 0.0))
        if not outcome:
            raise AddressRefused(f"cannot resolve {host}: no answer within "
                                 f"{self._lookup_timeout_s:g} s")
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        return outcome[0]

    def opened(self, sock: socket.socket, host: str, address: str) -> None:
        """Vouch for a new socket: its peer is the address checked, and the
        watchdog knows it."""
        peer = sock.getpeername()[0]
        if _same(peer) != _same(address):  # never expected; the point is not to trust it
            _shut(sock)
            sock.close()
            raise AddressNotAllowed(f"connection to {host} reached {peer}, not the "
                                    f"checked {address}: refused")
        with self._lock:
            self._sockets.append(sock)
            expired = self._expired
        if expired:
            _shut(sock)


def _same(address: str):
    return ipaddress.ip_address(address.split("%", 1)[0])


def _is_literal(host: str) -> bool:
    try:
        _same(host)
    except ValueError:
        return False
    return True


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed or never connected


class _Checked:
    """Connection mixin: `_new_conn` opens the socket through the Route."""

    def __init__(self, *args, route: Route, **kwargs):
        super().__init__(*args, **kwargs)
        self._route = route

    def _new_conn(self) -> socket.socket:
        failure: Optional[Exception] = None
        for address in self._route.addresses(self.host, self.port):
            try:
                sock = urllib3_connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except socket.timeout:
                failure = ConnectTimeoutError(
                    self, f"Connection to {self.host} ({address}) timed out. "
                          f"(connect timeout={self.timeout})")
                continue
            except OSError as err:
                failure = NewConnectionError(
                    self, f"Failed to establish a new connection to {address}: {err}")
                continue
            self._route.opened(sock, self.host, address)
            return sock
        raise failure


class _CheckedHTTPConnection(_Checked, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_Checked, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedPoolManager(PoolManager):
    """Pools whose connections all go through one Route."""

    def __init__(self, route: Route, **kwargs):
        super().__init__(**kwargs)
        self._route = route
        self.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}

    def _new_pool(self, scheme, host, port, request_context=None):
        # After the pool key is made (it has no field for a route), before
        # the pool is: the pool hands `route` on to every connection.
        context = dict(self.connection_pool_kw if request_context is None else request_context)
        context["route"] = self._route
        return super()._new_pool(scheme, host, port, context)


class _CheckedAdapter(HTTPAdapter):
    def __init__(self, route: Route):
        self._route = route
        super().__init__(pool_connections=4, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        self.poolmanager = _CheckedPoolManager(self._route, num_pools=connections,
                                               maxsize=maxsize, block=block, **pool_kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # A proxy would be the one connecting, past every check made here.
        raise AddressRefused("fetching through a proxy is not supported")


def _session(route: Route) -> requests.Session:
    session = requests.Session()
    # No HTTP(S)_PROXY from the environment (see proxy_manager_for) and no
    # ~/.netrc credentials sent to whichever host a feed redirects to; the
    # CA bundle an operator names in the environment still counts.
    session.trust_env = False
    session.verify = (os.environ.get("REQUESTS_CA_BUNDLE")
                      or os.environ.get("CURL_CA_BUNDLE") or True)
    adapter = _CheckedAdapter(route)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
