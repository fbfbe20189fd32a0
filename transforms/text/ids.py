"""Identifiers of stories: the content hash, the canonical URL and stable ids.

Plain functions, no Beam. A story's id and hash must come out the same in
every run and on every worker, so everything here is a pure function of its
arguments (no salted `hash()`, no clock).
"""

from __future__ import annotations

import hashlib
import re
from typing import Optional

from w3lib.url import canonicalize_url, url_query_cleaner

_ALL_SPACE = re.compile(r"\s+")

# Query parameters that only say how a reader arrived; two URLs that differ
# in these alone point at the same article.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "utm_name", "utm_id", "fbclid", "gclid", "dclid", "msclkid", "mc_cid",
    "mc_eid", "ocid", "cmpid", "smid", "rss", "ref", "taid", "yptr",
)


def content_hash(title: str, body: str) -> str:
    """Hash of the text as a reader sees it: case, spacing and markup aside.

    The body decides when there is one, so a republished copy with its own
    headline still hashes the same; title-only items hash their title.
    """
    basis = body if body.strip() else title
    folded = _ALL_SPACE.sub(" ", basis.casefold()).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


def canonical_url(url: Optional[str]) -> Optional[str]:
    """The URL with tracking parameters, fragment and case noise removed."""
    if not url or not re.match(r"^https?://", url, re.I):
        return url or None
    # unique=False: w3lib's default keeps only a repeated key's first value,
    # which made "?id=1&id=2" and "?id=1&id=3" one story_id.
    try:
        cleaned = url_query_cleaner(url, TRACKING_PARAMS, remove=True, unique=False)
        return canonicalize_url(cleaned, keep_fragments=False)
    except ValueError:
        # A link w3lib cannot split (a port that is no number, a broken IPv6
        # host) still identifies its entry: keep it as written rather than
        # let one bad link cost the whole feed.
        return url.strip()


def stable_id(*parts: str) -> str:
    """A short, stable identifier derived from its parts."""
    joined = "\x1f".join(parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:24]
