"""Time and peak memory of the text stage on hostile inputs, each in a fresh
process (peak RSS is VmHWM, the child's own high-water mark):

- a plain feed of 10,000 entries (2.3 MB), the same with a language hint;
- entity bombs: 8**10 nested on one line, parameter entities, 200,000
  references to one short entity, beside a plain feed of the same size;
- HTML nested 50,000 deep;
- an archive with one 50 MB line between two good ones.

    python -m benchmarks.parse_hostile
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_CHILD = """
import io, sys, time
from datetime import datetime, timezone
from schemas.records import FetchResult, Story
kind, path, hint = sys.argv[1], sys.argv[2], sys.argv[3] or None
now = datetime.now(timezone.utc)
started = time.perf_counter()
if kind == "feed":
    from transforms.text.feeds import parse_feed
    body = open(path, "rb").read()
    outputs = list(parse_feed(FetchResult(
        run_id="b", feed_url="https://example.org/f", source="s", status=200,
        not_modified=False, items=0, bytes=len(body), duration_ms=0, error=None,
        fetched_at=now, body=body, language=hint)))
else:
    from transforms.text.archive import read_archive
    with open(path, "rb") as handle:
        outputs = list(read_archive(handle, path, "b", now))
seconds = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
stories = sum(isinstance(o, Story) for o in outputs)
print(f"{seconds:.2f} {peak // 1024} {stories}")
"""


def _rss(items: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>t</title>'
            f"{items}</channel></rss>").encode()


def _item(number: int, description: str) -> str:
    return (f"<item><title>Story {number} on the budget</title><description>{description}"
            f"</description><link>https://example.org/s/{number}</link></item>")


def _cases() -> list[tuple[str, str, bytes, str]]:
    many = _rss("".join(_item(i, f"Officials said on Monday that report {i} was filed.")
                        for i in range(10_000)))
    nested = "".join(['<!ENTITY a0 "lol">'] + [
        f'<!ENTITY a{n} "{("&a%d;" % (n - 1)) * 8}">' for n in range(1, 11)])
    param = "".join(['<!ENTITY % p0 "lol">'] + [
        f'<!ENTITY % p{n} "{("%%p%d;" % (n - 1)) * 8}">' for n in range(1, 11)]
        + ['<!ENTITY a10 "%p10;">'])
    wide = _rss(_item(0, "&w;" * 200_000), '<!DOCTYPE rss [<!ENTITY w "' + "w" * 60 + '">]>')
    deep = _rss(_item(0, "<![CDATA[" + "<div>" * 50_000 + "deep" + "</div>" * 50_000 + "]]>"))
    line = b'{"id": "a", "title": "a", "body": "b"}\n'
    return [
        ("10,000 entries", "feed", many, ""),
        ("10,000 entries, language hint", "feed", many, "en"),
        ("nested bomb (8**10, one line)", "feed",
         _rss(_item(0, "&a10;"), f"<!DOCTYPE rss [{nested}]>"), "en"),
        ("parameter-entity bomb", "feed", _rss(_item(0, "&a10;"), f"<!DOCTYPE rss [{param}]>"), "en"),
        ("wide bomb (200,000 x 60 chars)", "feed", wide, "en"),
        ("plain feed as large as the wide bomb", "feed",
         _rss(_item(0, "word " * (len(wide) // 5))), "en"),
        ("HTML nested 50,000 deep", "feed", deep, "en"),
        ("archive with a 50 MB line", "archive",
         line + b'{"body": "' + b"a" * (50 * 1024 * 1024) + b'"}\n' + line, ""),
    ]


def main() -> None:
    print(f"{'case':40} {'bytes':>11} {'seconds':>8} {'peak MB':>8} {'stories':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for label, kind, data, hint in _cases():
            path = Path(folder) / "input"
            path.write_bytes(data)
            done = subprocess.run([sys.executable, "-c", _CHILD, kind, str(path), hint],
                                  capture_output=True, text=True, cwd=REPO, timeout=600)
            if done.returncode != 0:
                print(f"{label:40} FAILED: {done.stderr.strip().splitlines()[-1]}")
                continue
            seconds, peak, stories = done.stdout.split()
            print(f"{label:40} {len(data):>11,} {seconds:>8} {peak:>8} {stories:>8}")


if __name__ == "__main__":
    main()
