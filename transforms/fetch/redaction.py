"""Credentials in feed URLs never leave the fetcher.

A feed list may hold `https://user:password@host/feed` or a URL with a
`token=`/`key=`/`signature=` parameter. The fetcher needs them; nothing it
writes does. Every URL that reaches a table, the state, the manifest, the
raw archive or a log is `redact_url`'s (`user:***@`, `token=***`), every
error text is `scrub`bed of the secret values, feed state is keyed by
`url_key` (a hash of the full URL), and a stored URL gets its credentials
back from the feed list on each run (`restore_secrets`).
"""

from __future__ import annotations

import hashlib
import re
from typing import Optional
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameters that carry a credential (compared case-insensitively,
# ignoring "-" and "_"): a token, key, signature, password or session.
_SECRET_PARAM = re.compile(
    r"^(?:.*(?:token|secret|password|passwd|pwd|signature|apikey|accesskey|auth)"
    r"|key|sig|session|sessionid|sid|credential|credentials)$")


def is_secret_param(name: str) -> bool:
    return bool(_SECRET_PARAM.match(name.lower().replace("-", "").replace("_", "")))


def _parts(url: str):
    try:
        return urlsplit(url)
    except ValueError:
        return None


def redact_url(url: Optional[str]) -> Optional[str]:
    """The URL with its password and secret query values masked."""
    if not url:
        return url
    parts = _parts(url)
    if parts is None or not parts.scheme:
        return url  # a local path: nothing secret in it
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_param(name) for name, _ in pairs):
            query = urlencode([(name, MASK if is_secret_param(name) else value)
                               for name, value in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secret_values(url: Optional[str]) -> list[str]:
    """The secrets a URL carries, as they may appear in any text (raw and
    percent-decoded), longest first."""
    parts = _parts(url or "")
    if parts is None:
        return []
    found = set()
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        found.add(userinfo.split(":", 1)[1] if ":" in userinfo else userinfo)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if is_secret_param(name):
            found.add(value)
    variants = {v for value in found if value for v in (value, unquote(value),
                                                        quote(value, safe=""))}
    return sorted((v for v in variants if len(v) >= 3), key=len, reverse=True)


def scrub(text: Optional[str], url: Optional[str]) -> Optional[str]:
    """TEXT with every secret of URL masked (error messages quote URLs)."""
    if not text:
        return text
    for secret in secret_values(url):
        text = text.replace(secret, MASK)
    return text


def url_key(url: str) -> str:
    """What feed state is keyed by: the full URL, hashed."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def restore_secrets(stored: Optional[str], listed: str) -> Optional[str]:
    """A redacted URL from state with the feed list's credentials put back:
    a masked password or parameter takes the value the listed URL gives it."""
    if not stored or MASK not in stored:
        return stored
    mine, theirs = _parts(stored), _parts(listed)
    if mine is None or theirs is None:
        return stored
    netloc = mine.netloc
    if "@" in netloc and "@" in theirs.netloc:
        netloc = theirs.netloc.rsplit("@", 1)[0] + "@" + netloc.rsplit("@", 1)[1]
    listed_values = dict(parse_qsl(theirs.query, keep_blank_values=True))
    pairs = [(name, listed_values.get(name, value) if value == MASK else value)
             for name, value in parse_qsl(mine.query, keep_blank_values=True)]
    query = urlencode(pairs) if pairs else mine.query
    return urlunsplit((mine.scheme, netloc, mine.path, query, mine.fragment))
