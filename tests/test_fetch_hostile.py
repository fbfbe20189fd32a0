"""Hostile servers and hostile DNS: every fetch ends, in bounded time and
memory, with a fetch_log error, and never reaches an address it may not.

The servers are real sockets on loopback speaking raw HTTP, so each can
misbehave exactly as a hostile one would (a 256 MB bomb compressed a
megabyte at a time, a body or headers that never end). The fetches whose memory
matters run in a child process that reports its own peak RSS.
"""

import functools
import json
import ssl
import socketserver
import subprocess
import sys
import threading
import time
import zlib

import apache_beam as beam
import pytest
import trustme
from apache_beam.testing.util import assert_that, equal_to

from pipeline.feedlist import load_feed_list
from schemas.records import FeedSpec
from tests.conftest import REPO, SAMPLE
from transforms.fetch.addresses import AddressPolicy
from transforms.fetch.fetch import FetchConfig, fetch_feed
from transforms.fetch.transforms import FetchFeeds

RSS = (SAMPLE / "wikinews-world.rss").read_bytes()
MB = 1024 * 1024
# Read timeouts far longer than the budget: what stops these fetches must be
# the budget, since a trickling server resets a read timeout with every byte.
HOSTILE = dict(connect_timeout_s=2, read_timeout_s=30, budget_s=2, max_bytes=2 * MB,
               host_gap_s=0)


# --- raw HTTP servers --------------------------------------------------------

class RawServer(socketserver.ThreadingTCPServer):
    """A TCP server whose `respond(sock)` writes whatever bytes it likes
    after reading the request head; counts the connections it accepted."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, respond, host="127.0.0.1", port=0, tls=None):
        self.respond, self.hits, self.heads = respond, 0, []

        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                server.hits += 1
                if tls:
                    try:
                        self.request = tls.wrap_socket(self.request, server_side=True)
                    except OSError:
                        return  # the fetcher refused the certificate
                head = b""
                while b"\r\n\r\n" not in head:
                    data = self.request.recv(4096)
                    if not data:
                        return
                    head += data
                server.heads.append(head)
                try:
                    server.respond(self.request)
                except OSError:
                    pass  # the fetcher hung up: that is the point
        super().__init__((host, port), Handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path="/feed", host=None) -> str:
        return f"http://{host or self.server_address[0]}:{self.port}{path}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self.shutdown()
        self.server_close()


def send_feed(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(RSS) + RSS)


BOMB_PREFIX = b"<rss><channel><title>"


@functools.cache
def bomb_body(wbits: int) -> bytes:
    """256 MB of zeros, compressed a megabyte at a time (never held whole)."""
    squeeze, block = zlib.compressobj(6, zlib.DEFLATED, wbits), b"\0" * MB
    parts = [squeeze.compress(BOMB_PREFIX)]
    parts.extend(squeeze.compress(block) for _ in range(256))
    parts.append(squeeze.flush())
    return b"".join(parts)


def bomb(encoding: str, wbits: int):
    """A response whose body inflates to 256 MB."""
    bomb_body(wbits)  # made now, not while a fetch's budget runs

    def respond(sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     b"Content-Encoding: %s\r\nConnection: close\r\n\r\n" % encoding.encode())
        sock.sendall(bomb_body(wbits))
    return respond


def endless_chunks(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    item = b"<item><title>again</title></item>" * 500
    while True:
        sock.sendall(b"%x\r\n%s\r\n" % (len(item), item))


def trickle_body(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 b"Connection: close\r\n\r\n<rss>")
    while True:
        time.sleep(0.1)
        sock.sendall(b" ")


def trickle_headers(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while True:
        time.sleep(0.1)
        sock.sendall(b"a")


def never_answer(sock):
    # Holds the connection open without a byte, until the fetcher leaves.
    while sock.recv(4096):
        pass


# --- fetching in a child process, measuring its memory ------------------------

# Peak RSS from /proc: writing 5 to clear_refs resets the peak (VmHWM) to
# the current RSS, so what imports needed at their peak does not hide what
# the fetch itself adds (where a kernel refuses the reset, growth is counted
# from the old peak: it can only come out lower, never higher).
CHILD = """
import json, sys, time
from schemas.records import FeedSpec
from transforms.fetch.fetch import FetchConfig, fetch_feed

def kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

url, config = sys.argv[1], FetchConfig(**json.loads(sys.argv[2]))
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = kb("VmRSS")
except OSError:
    before = kb("VmHWM")
started = time.monotonic()
result, state = fetch_feed(FeedSpec(url, "hostile"), None, "run", config)
print(json.dumps(dict(
    outcome=result.outcome, error=result.error, elapsed=time.monotonic() - started,
    failures=state.consecutive_failures, growth_mb=(kb("VmHWM") - before) / 1024)))
"""


def fetch_in_child(url: str, **config) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, url, json.dumps({**HOSTILE, **config})],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# Each (server, expected error): all end as a failed fetch with one line.
BUDGET = "time budget of 2 s exhausted"


@pytest.mark.parametrize("name, respond, error", [
    ("gzip bomb", "gzip", "body larger than 2097152 bytes"),
    ("zlib deflate bomb", "deflate", "body larger than 2097152 bytes"),
    ("raw deflate bomb", "raw-deflate", "body larger than 2097152 bytes"),
    ("never-ending chunked body", endless_chunks, "body larger than 2097152 bytes"),
    ("body trickled forever", trickle_body, f"{BUDGET} while reading the body"),
    ("headers trickled forever", trickle_headers, BUDGET),
    ("never answers", never_answer, BUDGET),
])
def test_a_hostile_server_ends_the_fetch_in_bounded_time_and_memory(name, respond, error):
    if isinstance(respond, str):
        wbits = {"gzip": 16 + 15, "deflate": 15, "raw-deflate": -15}[respond]
        respond = bomb(respond.removeprefix("raw-"), wbits)
    with RawServer(respond) as server:
        seen = fetch_in_child(server.url())
    assert (seen["outcome"], seen["error"], seen["failures"]) == ("failed", error, 1), (name, seen)
    # Bounded: the budget is 2 s; the rest is slack for a loaded machine.
    assert seen["elapsed"] < 8, (name, seen)
    # The cap is 2 MB; what the fetch added to the child's peak memory stays
    # within a few caps (about one, measured), not the 256 MB a bomb inflates to.
    assert seen["growth_mb"] < 8, (name, seen)


@pytest.mark.parametrize("wbits", [16 + 15, 15, -15])
def test_the_bombs_are_what_they_claim(wbits):
    """The test above is only as good as its bombs: 256 MB from < 1 MB."""
    body = bomb_body(wbits)
    inflate, inflated, data = zlib.decompressobj(wbits), 0, body
    while not inflate.eof:
        inflated += len(inflate.decompress(data, MB))
        data = inflate.unconsumed_tail
    assert inflate.eof and len(body) < MB
    assert inflated == 256 * MB + len(BOMB_PREFIX)


def test_a_dns_server_that_never_answers_ends_the_fetch():
    """getaddrinfo cannot be interrupted; the fetch stops waiting for it."""
    answered = threading.Event()

    def silent_dns(_host, _port):
        answered.wait(60)
        return ["127.0.0.2"]
    config = FetchConfig(**{**HOSTILE, "connect_timeout_s": 1},
                         policy=AddressPolicy(resolver=silent_dns))
    started = time.monotonic()
    slow, state = fetch_feed(FeedSpec("http://slow.dns.test/rss", "s"), None, "run", config)
    elapsed = time.monotonic() - started
    late, _ = fetch_feed(FeedSpec("http://slow.dns.test/rss", "s"), None, "run",
                         FetchConfig(**{**HOSTILE, "connect_timeout_s": 5},
                                     policy=AddressPolicy(resolver=silent_dns)))
    answered.set()
    assert (slow.outcome, state.consecutive_failures) == ("failed", 1)
    assert slow.error == "cannot resolve slow.dns.test: no answer within 1 s"
    assert late.error == BUDGET  # a lookup longer than the budget is cut by it
    assert elapsed < 6


def test_time_queued_behind_a_hostile_feed_of_the_same_host_is_not_budget():
    from transforms.fetch.fetch import HostGate
    config, gate = FetchConfig(**HOSTILE), HostGate(per_host=1, gap_s=0)
    with RawServer(never_answer) as silent, RawServer(send_feed) as good:
        # Both on 127.0.0.1: one host, one slot; the silent feed takes it first.
        first = threading.Thread(target=fetch_feed, args=(
            FeedSpec(silent.url(), "silent"), None, "run", config), kwargs={"gate": gate})
        first.start()
        while not silent.hits:
            time.sleep(0.01)
        asked = time.monotonic()
        queued, _ = fetch_feed(FeedSpec(good.url(), "good"), None, "run", config, gate=gate)
        waited = time.monotonic() - asked
        first.join()
    assert (queued.outcome, queued.body) == ("fetched", RSS)
    assert waited >= config.budget_s - 0.5  # it did wait its turn
    # fetch_log's duration is the fetch's own, not the wait for the slot
    assert queued.duration_ms < 1000 * (config.budget_s - 0.5)


def test_hostile_feeds_are_logged_and_the_run_goes_on(beam_pipeline):
    config = FetchConfig(**HOSTILE)
    with RawServer(send_feed) as good, RawServer(never_answer) as silent, \
            RawServer(bomb("gzip", 31)) as bombing:
        specs = [FeedSpec(good.url(), "good"), FeedSpec(silent.url(), "silent"),
                 FeedSpec(bombing.url(), "bomb")]
        with beam_pipeline as p:
            results, states, dead = p | beam.Create(specs) | FetchFeeds(
                "run", "2026-12-02", config, state_file=None, raw_root=None)
            assert_that(results | beam.Map(lambda r: (r.source, r.outcome, r.error)),
                        equal_to([("good", "fetched", None),
                                  ("silent", "failed", BUDGET),
                                  ("bomb", "failed", "body larger than 2097152 bytes")]),
                        label="results")
            assert_that(dead | beam.Map(lambda d: (d.error, d.ref, d.message)),
                        equal_to([("FetchFailed", specs[1].url, BUDGET),
                                  ("FetchFailed", specs[2].url, "body larger than 2097152 bytes")]),
                        label="dead")
            assert_that(states | beam.Map(lambda s: (s.url, s.consecutive_failures)),
                        equal_to([(specs[0].url, 0), (specs[1].url, 1), (specs[2].url, 1)]),
                        label="states")


# --- where a fetch may connect -----------------------------------------------

class Resolver:
    """A DNS server the test controls: answers by name, in turn, and counts.

    The fetcher's resolver is a real seam (AddressPolicy.resolver): every
    lookup it makes goes through here, so an answer that changes between
    two lookups of one name is DNS rebinding as an attacker would play it.
    """

    def __init__(self, **answers):
        self._answers = {name.replace("_", "."): list(seq) for name, seq in answers.items()}
        self.asked: list[str] = []

    def __call__(self, host, _port):
        self.asked.append(host)
        answers = self._answers[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def outside_and_inside():
    """A "public" feed server on 127.0.0.2 (public by AddressPolicy.extra_public)
    and an internal service on 127.0.0.1, on the same port, so that one URL
    reaches either depending only on the address its name resolves to."""
    for _attempt in range(20):
        outside = RawServer(send_feed, host="127.0.0.2")
        try:
            inside = RawServer(send_feed, host="127.0.0.1", port=outside.port)
        except OSError:
            outside.server_close()
            continue
        with outside, inside:
            yield outside, inside
        return
    pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")


def config_with(resolver) -> FetchConfig:
    return FetchConfig(**HOSTILE, policy=AddressPolicy(extra_public=("127.0.0.2/32",),
                                                       resolver=resolver))


@pytest.mark.parametrize("address, public", [
    ("93.184.215.14", True), ("2606:4700::6810:84e5", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("::1", False),
    ("fe80::1%eth0", False), ("169.254.169.254", False), ("fd00:ec2::254", False),
    # IPv6 spellings of internal IPv4 addresses
    ("::ffff:127.0.0.1", False), ("::ffff:169.254.169.254", False),
    ("64:ff9b::a00:1", False), ("2002:a00:1::1", False), ("64:ff9b::5db8:d70e", True),
])
def test_which_addresses_count_as_public(address, public):
    assert AddressPolicy().is_public(address) is public
    # Opting a host in admits private addresses, never metadata ones.
    assert AddressPolicy().allows(address, private_ok=True) is ("169.254.169.254" not in address
                                                                and "fd00:ec2" not in address)


def test_dns_rebinding_between_check_and_connect_cannot_reach_inside(outside_and_inside):
    outside, inside = outside_and_inside
    # Public for the first lookup, loopback for every later one.
    dns = Resolver(feed_rebind_test=[["127.0.0.2"], ["127.0.0.1"]])
    result, _ = fetch_feed(FeedSpec(outside.url(host="feed.rebind.test"), "s"), None, "run",
                           config_with(dns))
    # The address checked is the address connected to: one lookup, the
    # public server answered, the internal one never saw a connection.
    assert (result.outcome, result.body) == ("fetched", RSS)
    assert dns.asked == ["feed.rebind.test"]
    assert (outside.hits, inside.hits) == (1, 0)
    assert b"Host: feed.rebind.test:" in outside.heads[0]


@pytest.mark.parametrize("answer", [["127.0.0.1", "127.0.0.2"], ["127.0.0.2", "127.0.0.1"]])
def test_a_name_with_public_and_private_addresses_connects_only_to_public(
        outside_and_inside, answer):
    outside, inside = outside_and_inside
    result, _ = fetch_feed(FeedSpec(outside.url(host="mixed.test"), "s"), None, "run",
                           config_with(Resolver(mixed_test=[answer])))
    assert result.outcome == "fetched" and (outside.hits, inside.hits) == (1, 0)


def test_https_connects_to_the_checked_address_and_verifies_the_name(monkeypatch, tmp_path):
    """Over TLS the socket goes to the address checked while SNI and the
    certificate check use the feed's name, as without pinning."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    server_names = []
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("feed.tls.test").configure_cert(tls)
    tls.sni_callback = lambda _sock, name, _context: server_names.append(name)
    dns = Resolver(feed_tls_test=[["127.0.0.2"]], other_tls_test=[["127.0.0.2"]])
    with RawServer(send_feed, host="127.0.0.2", tls=tls) as server:
        url = f"https://feed.tls.test:{server.port}/feed"
        result, _ = fetch_feed(FeedSpec(url, "s"), None, "run", config_with(dns))
        assert (result.outcome, result.body) == ("fetched", RSS)
        assert server_names == ["feed.tls.test"]
        assert b"Host: feed.tls.test:" in server.heads[0]
        # The same address under a name the certificate does not carry.
        wrong, _ = fetch_feed(FeedSpec(f"https://other.tls.test:{server.port}/feed", "s"),
                              None, "run", config_with(dns))
    assert wrong.outcome == "failed" and "certificate" in wrong.error
    assert "other.tls.test" in wrong.error


def test_a_listed_name_on_a_private_address_is_refused_unless_opted_in(outside_and_inside, tmp_path):
    _outside, inside = outside_and_inside
    dns = Resolver(intranet_test=[["127.0.0.1"]])
    url = inside.url(host="intranet.test")
    refused, state = fetch_feed(FeedSpec(url, "s"), None, "run", config_with(dns))
    assert refused.outcome == "failed" and state.consecutive_failures == 1
    assert refused.error == ("connection to intranet.test (127.0.0.1) refused: not a public "
                             "address (allow_private: true on the feed opts its host in)")
    assert inside.hits == 0
    listing = tmp_path / "feeds.yaml"
    listing.write_text(f"feeds:\n  - url: {url}\n    source: intranet\n    allow_private: true\n")
    [spec] = load_feed_list(str(listing))
    allowed, _ = fetch_feed(spec, None, "run", config_with(dns))
    assert (allowed.outcome, allowed.body, inside.hits) == ("fetched", RSS, 1)


def test_opting_in_is_for_the_feeds_own_host_and_never_for_metadata(outside_and_inside):
    outside, inside = outside_and_inside
    redirecting = RawServer(lambda sock: sock.sendall(
        b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        % inside.url("/admin", host="other.intranet.test").encode()), host="127.0.0.1")
    dns = Resolver(intranet_test=[["127.0.0.1"]], other_intranet_test=[["127.0.0.1"]],
                   metadata_test=[["169.254.169.254"]])
    with redirecting:
        hop, _ = fetch_feed(FeedSpec(redirecting.url(host="intranet.test"), "s", allow_private=True),
                            None, "run", config_with(dns))
    assert hop.error == (f"redirect to {inside.url('/admin', host='other.intranet.test')}: "
                         "connection to other.intranet.test (127.0.0.1) refused: "
                         "not a public address")
    metadata, _ = fetch_feed(FeedSpec("http://metadata.test/latest/meta-data/", "s",
                                      allow_private=True), None, "run", config_with(dns))
    assert metadata.error == ("connection to metadata.test (169.254.169.254) refused: "
                              "a cloud metadata address")
    assert (redirecting.hits, outside.hits, inside.hits) == (1, 0, 0)


def test_a_public_feed_redirected_to_a_name_that_rebinds_inside_is_refused(outside_and_inside):
    outside, inside = outside_and_inside
    target = inside.url("/admin", host="admin.rebind.test")
    outside.respond = lambda sock: sock.sendall(
        b"HTTP/1.1 301 Moved\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % target.encode())
    dns = Resolver(feed_test=[["127.0.0.2"]], admin_rebind_test=[["127.0.0.1"]])
    result, state = fetch_feed(FeedSpec(outside.url(host="feed.test"), "s"), None, "run",
                               config_with(dns))
    assert result.outcome == "failed" and state.effective_url is None
    assert result.error == (f"redirect to {target}: connection to admin.rebind.test "
                            "(127.0.0.1) refused: not a public address")
    assert (outside.hits, inside.hits) == (1, 0)


# --- odd encodings -------------------------------------------------------------

def encoded_feed(encoding: bytes, body: bytes):
    def respond(sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (encoding, len(body), body))
    return respond


def deflate(data: bytes, wbits: int) -> bytes:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return squeeze.compress(data) + squeeze.flush()


@pytest.mark.parametrize("encoding, body", [
    (b"deflate", deflate(RSS, 15)),                           # as the RFC says
    (b"deflate", deflate(RSS, -15)),                          # as some servers send it
    (b"gzip", deflate(RSS[:500], 31) + deflate(RSS[500:], 31)),  # two gzip members
    (b"x-gzip", deflate(RSS, 31)),
    (b"identity", RSS),
])
def test_every_way_a_feed_may_be_compressed_decodes_to_it(encoding, body):
    with RawServer(encoded_feed(encoding, body)) as server:
        result, _ = fetch_feed(FeedSpec(server.url(), "s"), None, "run", FetchConfig(**HOSTILE))
    assert (result.error, result.body, result.bytes) == (None, RSS, len(RSS))


@pytest.mark.parametrize("encoding, body, error", [
    (b"gzip", deflate(RSS, 31)[:-100], "truncated gzip body"),
    (b"gzip", b"\x1f\x8b" + b"garbage" * 20, "corrupt gzip body: Error -3 while decompressing "
                                              "data: unknown compression method"),
    (b"br", RSS, "unsupported Content-Encoding 'br'"),
    (b"gzip, gzip", deflate(deflate(RSS, 31), 31),
     "unsupported Content-Encoding 'gzip, gzip' (more than one)"),
])
def test_a_body_that_cannot_be_decoded_is_a_one_line_error(encoding, body, error):
    with RawServer(encoded_feed(encoding, body)) as server:
        result, state = fetch_feed(FeedSpec(server.url(), "s"), None, "run", FetchConfig(**HOSTILE))
    assert (result.outcome, result.error, state.consecutive_failures) == ("failed", error, 1)


# --- a whole run ----------------------------------------------------------------

def test_a_run_over_hostile_feeds_logs_each_and_keeps_the_good_one(tmp_path, capsys):
    """As a user sees it: exit 0, one fetch_log row and one dead letter per
    hostile feed with its one-line error, the good feed's stories stored,
    and the run's counts reconciled."""
    from pipeline.cli import main
    from tests.helpers import assert_all_conserved, sql

    servers = {"good": send_feed, "bomb": bomb("gzip", 31), "silent": never_answer,
               "slow-headers": trickle_headers}
    with RawServer(servers["good"]) as good, RawServer(servers["bomb"]) as bombing, \
            RawServer(servers["silent"]) as silent, \
            RawServer(servers["slow-headers"]) as slow:
        listing = tmp_path / "feeds.yaml"
        listing.write_text("feeds:\n" + "".join(
            f"  - url: {server.url()}\n    source: {name}\n"
            for name, server in (("good", good), ("bomb", bombing), ("silent", silent),
                                 ("slow-headers", slow))))
        out = tmp_path / "out"
        assert main(["run", "--feeds", str(listing), "--output", str(out), "--fetch_budget", "2",
                     "--fetch_timeout", "30", "--max_feed_bytes", str(2 * MB)]) == 0
    assert "FAILING FEEDS (3)" in capsys.readouterr().out
    assert sorted(sql(out, "select source, error from {fetch_log}")) == [
        ("bomb", "body larger than 2097152 bytes"), ("good", None),
        ("silent", BUDGET), ("slow-headers", BUDGET)]
    assert sorted(sql(out, "select ref, message from {dead_letters} where stage = 'fetch'")) == sorted([
        (bombing.url(), "body larger than 2097152 bytes"), (silent.url(), BUDGET),
        (slow.url(), BUDGET)])
    assert sql(out, "select distinct source from {stories}") == [("good",)]
    assert_all_conserved(out)
