"""Evaluation corpora for benchmarks and tests (no Beam, stdlib only).

The corpora live outside the repository, in ``../shared/data`` beside the repo
root, or wherever the ``WIRESTREAM_DATA`` environment variable points. Some of
them (Reuters-21578 among them) are for evaluation only and must never be
copied into the repository: this module reads them in place. When a corpus is
absent (a user's clone has no shared data) ``data_path`` raises
``CorpusMissing``, which tests turn into a skip.

Reuters-21578 is turned into wirestream archive records (see CONTRACT.md,
"Archive records"), plus a few ``_``-prefixed keys that carry the collection's
own annotations for evaluation; ``write_jsonl`` drops those keys.

Command line::

    python -m benchmarks.corpora reuters [--limit N] --out FILE.jsonl
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(
    os.environ.get("WIRESTREAM_DATA") or REPO_ROOT.parent / "shared" / "data"
).expanduser()


class CorpusMissing(FileNotFoundError):
    """An evaluation corpus is not on this machine (tests skip on it)."""


def data_path(*parts: str) -> Path:
    """Return ``DATA_DIR / parts...``, or raise ``CorpusMissing`` if absent."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        raise CorpusMissing(
            f"evaluation data not found: {path} "
            "(put shared/data beside the repo or set WIRESTREAM_DATA)"
        )
    return path


# --------------------------------------------------------------------------
# Reuters-21578 (SGML, 22 files reut2-000.sgm .. reut2-021.sgm)
# --------------------------------------------------------------------------

REUTERS_SOURCE = "reuters21578"

_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_FIELDS = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.S)
    for name in ("DATE", "TOPICS", "PLACES", "TITLE", "DATELINE", "AUTHOR", "BODY")
}
_D = re.compile(r"<D>(.*?)</D>", re.S)

# The files only use &lt; &amp; and numeric references (&#3; ends each story,
# &#1; &#2; &#5; &#22; &#31; are wire control codes, &#127; replaced a lost
# character, &#27;[B is a terminal escape that leaked into two stories).
_ENTITY = re.compile(r"&(#\d+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_CARET_M = re.compile(r"\^M(?=\n|$)")  # carriage returns printed as "^M"

_DATE = re.compile(
    r"\s*(\d{1,2})-([A-Z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,2}))?"
)
_MONTHS = {m: i for i, m in enumerate(
    "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}

# DATELINE is "    SALVADOR, Feb 26 - ", but some swallowed the first words
# of the body ("RIO DE JANEIRO, Feb 26 - Brazil's "Cruzado" anti- "), some
# have no date ("CHICAGO, April - ", "WASHINGTON - ") and some are table rows
# or headings (" MAR8  --     --", "COPPER GRADE A - 2650 tonnes ..."). The 82
# that have neither a comma nor a date before the dash get dateline "".
_DATELINE_DASH = re.compile(r"\s*-+(?:\s+|$)")  # not the one in WINSTON-SALEM
_MONTH_DAY = re.compile(r"[A-Za-z]{3,9}\.?\s+\d{1,2}$")  # "DETROIT June 18"
_DATELINE_REUTER = re.compile(r"[\s,]*(?:Reuter)?[\s,]*$")  # "ROME, March 13, Reuter"
# Sign-off(s) at the end of a story: "Reuter", "REUTER", "REUTER...",
# "Reuters", misspellings, operator codes ("REUTER11:43/VB", "Reuter4",
# "REUTER E");
# 5 stories end with two ("... Noranda said. Reuter\n Reuter").
_SIGNOFF = re.compile(
    r"(?:(?:^|\s+)(?:reuters?|reuiter|reueter|reute)"
    r"(?:\.{3}|\d\d:\d\d/[a-z]+|\d|\s+[a-z])?)+\s*$",
    re.I,
)
_AUTHOR_BY = re.compile(r"^\s*by\s+", re.I)
_AUTHOR_AGENCY = re.compile(r"[\s,]+reuters?\w*\.?\s*$", re.I)  # "Reutersd"


def _entity(match: re.Match) -> str:
    name = match.group(1)
    return chr(int(name[1:])) if name[0] == "#" else _NAMED[name]


def _clean(raw: str) -> str:
    """Decode entities and drop wire control codes; newlines are kept."""
    text = _ENTITY.sub(_entity, raw)
    text = _ANSI_ESCAPE.sub("", text)
    text = _CARET_M.sub("", text.replace("\x7f", " "))
    return _CONTROL.sub("", text)


def _paragraphs(text: str) -> str:
    """Unwrap the wire's hard line breaks into paragraphs joined by blank lines.

    A paragraph starts after a blank line or at an indented line (Reuters
    indents each paragraph; table rows are indented too, so they stay one row
    per paragraph); unindented lines continue the paragraph above.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if current and (not stripped or line[:1] in " \t"):
            paragraphs.append(" ".join(current))
            current = []
        if stripped:
            current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _published(raw: str) -> str | None:
    """ "26-FEB-1987 15:01:01.79" -> "1987-02-26T15:01:01.790+00:00".

    The collection gives no time zone; the stamps are taken as UTC. Returns
    None when the stamp is malformed (one story has hour 605).
    """
    m = _DATE.match(raw)
    if not m or m.group(2) not in _MONTHS:
        return None
    day, mon, year, hour, minute, sec, frac = m.groups()
    try:
        stamp = datetime(
            int(year), _MONTHS[mon], int(day), int(hour), int(minute), int(sec),
            int((frac or "0").ljust(2, "0")) * 10_000, tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    return stamp.isoformat(timespec="milliseconds")


def _authors(raw: str) -> list[str]:
    """ "    By Jonathan Lynn and Anthony Williams, Reuters" -> two names."""
    names = _AUTHOR_AGENCY.sub("", _AUTHOR_BY.sub("", _clean(raw))).strip()
    return [n for n in re.split(r"\s+and\s+|\s*,\s*", names, flags=re.I) if n]


def _split_dateline(text: str) -> tuple[str, str]:
    """Split DATELINE text into (dateline, text that belongs to the body).

    The dateline is what comes before the first dash, if it has a comma
    ("COLUMBUS, Ohio, March 5") or ends in a date ("DETROIT June 18"); else
    the whole text is body text and the dateline is "".
    """
    parts = _DATELINE_DASH.split(text.lstrip(), maxsplit=1)
    head = _DATELINE_REUTER.sub("", " ".join(parts[0].split()))
    if len(parts) == 2 and len(head) <= 60 and ("," in head or _MONTH_DAY.search(head)):
        return head, parts[1]
    return "", text


def _field(name: str, doc: str) -> str | None:
    m = _FIELDS[name].search(doc)
    return m.group(1) if m else None


def _reuters_record(attrs: str, doc: str) -> dict | None:
    body_raw = _field("BODY", doc)
    if body_raw is None:
        return None
    newid = int(_NEWID.search(attrs).group(1))

    dateline, spill = _split_dateline(_clean(_field("DATELINE", doc) or ""))
    body = _clean(body_raw)
    if spill.strip():  # text the SGML conversion put in DATELINE is body text
        body = spill.lstrip() + body

    body = _SIGNOFF.sub("", body.rstrip())
    author_raw = _field("AUTHOR", doc)
    return {
        "id": f"reuters-{newid}",
        "title": " ".join(_clean(_field("TITLE", doc) or "").split()),
        "body": _paragraphs(body),
        "url": None,
        "published": _published(_clean(_field("DATE", doc) or "")),
        "source": REUTERS_SOURCE,
        "summary": None,
        "authors": _authors(author_raw) if author_raw else [],
        "_dateline": dateline,
        "_newid": newid,
        "_topics": _D.findall(_field("TOPICS", doc) or ""),
        "_places": _D.findall(_field("PLACES", doc) or ""),
    }


def iter_reuters(limit: int | None = None) -> Iterator[dict]:
    """Yield one archive record per Reuters-21578 story that has a BODY.

    Stories come in file order (NEWID 1..21578). Raises ``CorpusMissing`` if
    the corpus is absent. Besides the archive fields, each record carries
    ``_dateline`` (place and date, e.g. "SALVADOR, Feb 26"), ``_newid`` (int),
    ``_topics`` and ``_places`` (lists of category codes).
    """
    if limit is not None and limit <= 0:
        return
    files = sorted(data_path(REUTERS_SOURCE, "sgm-data").glob("*.sgm"))
    if not files:
        raise CorpusMissing(f"no .sgm files in {data_path(REUTERS_SOURCE, 'sgm-data')}")
    count = 0
    for path in files:
        # ASCII except one stray 0xFC byte (reut2-017.sgm); latin-1 never fails.
        text = path.read_text(encoding="latin-1")
        for m in _DOC.finditer(text):
            record = _reuters_record(m.group(1), m.group(2))
            if record is None:
                continue
            yield record
            count += 1
            if limit is not None and count >= limit:
                return


def reuters_pool_sample(count: int = 80) -> list[dict]:
    """`count` Reuters-21578 stories of 150-700 words, at most 8 % of them
    numbers, in the order of sha1 of their id, none with the body of a
    story of eval_quotes' sample or of one chosen before (evaluation only,
    read in place): fresh 1987 wire copy for judging."""
    from benchmarks.eval_quotes import reuters_sample

    seen = {" ".join(r["body"].split()) for r in reuters_sample()}
    candidates = []
    for record in iter_reuters():
        words = record["body"].split()
        numbers = sum(any(c.isdigit() for c in w) for w in words)
        if 150 <= len(words) <= 700 and numbers <= 0.08 * len(words):
            candidates.append(record)
    chosen = []
    for record in sorted(candidates, key=lambda r: hashlib.sha1(r["id"].encode()).hexdigest()):
        body = " ".join(record["body"].split())
        if body in seen:
            continue
        seen.add(body)
        chosen.append({k: v for k, v in record.items() if not k.startswith("_")})
        if len(chosen) == count:
            break
    return chosen


# --------------------------------------------------------------------------
# Helpers shared by corpora
# --------------------------------------------------------------------------

def write_jsonl(records: Iterable[dict], path: str | os.PathLike) -> int:
    """Write records as JSON Lines (UTF-8), dropping ``_`` keys; return count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            public = {k: v for k, v in record.items() if not k.startswith("_")}
            out.write(json.dumps(public, ensure_ascii=False) + "\n")
            count += 1
    return count


def identical_body_groups(
    records: Iterable[dict], min_chars: int = 1
) -> list[list[str]]:
    """Ids of records whose bodies are identical once whitespace is collapsed.

    Only groups of two or more; bodies shorter than ``min_chars`` (after
    normalising) are ignored, so empty bodies never group. Groups and the ids
    in them are in order of first appearance.
    """
    groups: dict[str, list[str]] = {}
    for record in records:
        body = " ".join((record.get("body") or "").split())
        if len(body) >= max(min_chars, 1):
            groups.setdefault(body, []).append(record["id"])
    return [ids for ids in groups.values() if len(ids) >= 2]


SEMEVAL = ("semeval2022-sample", "training_set.csv")


def load_semeval() -> list[dict]:
    """The SemEval-2022 Task 8 sample's rows: scored pairs of articles with
    their languages and texts (evaluation only, read in place)."""
    csv.field_size_limit(1 << 30)  # some scraped texts are long
    with data_path(*SEMEVAL).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.lru_cache(maxsize=1)
def _english_articles() -> tuple[dict[str, str], dict[str, set]]:
    """The sample's English articles, id -> text in the order of sha1 of
    their id, and every article's pair partners, id -> ids (read once: both
    samples below are drawn from them, and must not be changed)."""
    texts: dict[str, str] = {}
    partners: dict[str, set] = {}
    for row in load_semeval():
        ids = row["pair_id"].split("_")
        for i, (lang, text) in enumerate(((row["lang1"], row["text1"]),
                                          (row["lang2"], row["text2"]))):
            if lang == "en":
                texts[ids[i]] = text
            partners.setdefault(ids[i], set()).add(ids[1 - i])
    by_hash = sorted(texts, key=lambda a: hashlib.sha1(a.encode()).hexdigest())
    return {a: texts[a] for a in by_hash}, partners


def semeval_news_sample(count: int = 40) -> list[dict]:
    """`count` English articles of the SemEval-2022 Task 8 sample as archive
    records (news as sites published it in 2020, furniture and all;
    evaluation only, read in place): articles laid out in lines (the
    others are flattened scrapes with no paragraph left), of 150-700 words,
    in the order of sha1 of their id, never both articles of a pair (a
    pair is often one story twice, which dedup would fold into one).
    The first line is the title."""
    from transforms.text.language import plainly_english

    texts, partners = _english_articles()
    chosen, excluded = [], set()
    for article in texts:
        title, _, body = texts[article].strip().partition("\n")
        body = body.strip()
        if article in excluded or not body or not 150 <= len(body.split()) <= 700 \
                or not plainly_english(body):
            continue
        chosen.append({"id": f"semeval-{article}", "title": title.strip(), "body": body,
                       "published": "2020-01-01T00:00:00Z", "source": "semeval2022"})
        excluded |= partners[article]
        if len(chosen) == count:
            break
    return chosen


def semeval_flat_sample(count: int = 60) -> list[dict]:
    """`count` English articles of the SemEval-2022 Task 8 sample that were
    scraped flat (headline, site furniture and every paragraph run into one
    line), of 150-700 words, in the order of sha1 of their id, never an
    article paired with one of `semeval_news_sample(80)` or with one chosen
    before (evaluation only, read in place). The headline cannot be told
    from the text, so the whole text is the body and the title is empty."""
    from transforms.text.language import plainly_english

    texts, partners = _english_articles()
    excluded: set[str] = set()
    for record in semeval_news_sample(80):
        excluded |= partners[record["id"].removeprefix("semeval-")]
    chosen = []
    for article in texts:
        text = " ".join(texts[article].split())
        if article in excluded or "\n" in texts[article].strip() \
                or not 150 <= len(text.split()) <= 700 or not plainly_english(text):
            continue
        chosen.append({"id": f"semevalflat-{article}", "title": "", "body": text,
                       "published": "2020-01-01T00:00:00Z", "source": "semeval2022"})
        excluded |= partners[article]
        if len(chosen) == count:
            break
    return chosen


def semeval_pool_sample(count: int = 80) -> list[dict]:
    """`count` English articles of the SemEval-2022 Task 8 sample of 150-700
    words, in the order of sha1 of their id, none of them among or paired
    with an article of `semeval_news_sample(80)` or `semeval_flat_sample(60)`,
    nor with one chosen before (evaluation only, read in place): fresh web
    copy for judging. An article laid out in lines has its first line as the
    title; one scraped flat is all body, as in `semeval_flat_sample`."""
    from transforms.text.language import plainly_english

    texts, partners = _english_articles()
    excluded: set[str] = set()
    for record in semeval_news_sample(80) + semeval_flat_sample(60):
        article = record["id"].split("-", 1)[1]
        excluded |= partners[article] | {article}
    chosen = []
    for article in texts:
        text = texts[article].strip()
        title, body = "", " ".join(text.split())
        if "\n" in text:
            title, _, body = text.partition("\n")
            title, body = title.strip(), body.strip()
        if article in excluded or not body or not 150 <= len(body.split()) <= 700 \
                or not plainly_english(body):
            continue
        chosen.append({"id": f"semevalpool-{article}", "title": title, "body": body,
                       "published": "2020-01-01T00:00:00Z", "source": "semeval2022"})
        excluded |= partners[article] | {article}
        if len(chosen) == count:
            break
    return chosen


# --------------------------------------------------------------------------
# CoNLL-2003: Reuters newswire of 1996 (RCV1), tokenised
# --------------------------------------------------------------------------

_NO_SPACE_BEFORE = re.compile(r" ([,.;:!?%)\]}]|'s\b|'S\b|n't\b|'re\b|'ve\b|'ll\b|'d\b|'m\b)")
_NO_SPACE_AFTER = re.compile(r"([(\[{$]) ")
_CONLL_DATELINE = re.compile(r"^([A-Z][A-Z .'-]*(?:, [A-Za-z .]+)?) (\d{4})-(\d\d)-(\d\d)$")
_LISTING_TITLE = re.compile(r"PRESS DIGEST|FIXTURES|factors to watch|RESULTS|STANDINGS|SCORES", re.I)
_SENTENCE_END = re.compile(r"[.?!][\"']?$")
_MONTH_ABBR = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug",
               "Sept", "Oct", "Nov", "Dec"]


def _detokenize(tokens: list[str]) -> str:
    """CoNLL tokens back into running text: spaces dropped before closing
    punctuation and clitics, after opening brackets, and inside quotation
    marks ("" tokens alternate opening and closing)."""
    out, quote_open = [], False
    for token in tokens:
        if token == '"':
            if quote_open:
                out[-1:] = [(out[-1] if out else "") + '"']
            else:
                out.append('"')
            quote_open = not quote_open
            continue
        if out and out[-1] == '"' and quote_open:
            out[-1] = '"' + token
        else:
            out.append(token)
    text = " ".join(out)
    text = _NO_SPACE_BEFORE.sub(r"\1", text)
    return _NO_SPACE_AFTER.sub(r"\1", text)


def iter_conll2003_docs(split: str) -> Iterator[tuple[str, list[str]]]:
    """(doc id, its pieces as text) for each document of a CoNLL-2003 split
    ("train" or "valid"); the first piece is the headline, the second
    usually the dateline ("LONDON 1996-08-30"); the others are sentences,
    or the wire's lines where a sentence ran over several."""
    path = data_path("conll2003", f"{split}.txt")
    number, sentences, tokens = 0, [], []

    def flush_sentence():
        if tokens:
            sentences.append(_detokenize(tokens))
            tokens.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            flush_sentence()
            if sentences:
                yield f"conll2003-{split}-{number}", sentences
            number, sentences = number + 1, []
        elif not line.strip():
            flush_sentence()
        else:
            tokens.append(line.split(" ", 1)[0])
    flush_sentence()
    if sentences:
        yield f"conll2003-{split}-{number}", sentences


def _wire_dateline(line: str) -> str | None:
    """ "LONDON 1996-08-30" -> "LONDON, Aug 30 (Reuters) - " as the wire sent it."""
    m = _CONLL_DATELINE.match(line)
    if not m:
        return None
    place, month, day = m.group(1), int(m.group(3)), int(m.group(4))
    return f"{place}, {_MONTH_ABBR[month - 1]} {day} (Reuters) - "


def _wire_paragraphs(pieces: list[str]) -> list[str]:
    """Pieces joined into paragraphs, one per sentence as Reuters wrote
    them: a piece that does not end a sentence runs on into the next."""
    paragraphs, current = [], []
    for piece in pieces:
        current.append(piece)
        if _SENTENCE_END.search(piece):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def conll2003_news_sample(count: int = 60, split: str = "train") -> list[dict]:
    """`count` Reuters stories of 1996 from a CoNLL-2003 split (train unless
    told) as archive records (evaluation only, read in place): stories with a
    dateline and a body of 150-700 words in which at most 8 % of the
    tokens are numbers and whose headline is not a listing (press digests,
    fixtures, results), in the order of sha1 of their id. The tokenised
    text is put back as the wire wrote it: headline as title, "PLACE, Mon D
    (Reuters) - " before the first sentence, a paragraph per sentence."""
    chosen = []
    docs = dict(iter_conll2003_docs(split))
    for doc_id in sorted(docs, key=lambda d: hashlib.sha1(d.encode()).hexdigest()):
        sentences = docs[doc_id]
        if len(sentences) < 4:
            continue
        dateline = _wire_dateline(sentences[1])
        body_sentences = sentences[2:]
        words = " ".join(body_sentences).split()
        numbers = sum(any(c.isdigit() for c in w) for w in words)
        if dateline is None or not 150 <= len(words) <= 700 \
                or numbers > 0.08 * len(words) or _LISTING_TITLE.search(sentences[0]):
            continue
        year, month, day = _CONLL_DATELINE.match(sentences[1]).group(2, 3, 4)
        body = "\n\n".join(_wire_paragraphs([dateline + body_sentences[0], *body_sentences[1:]]))
        title = sentences[0]
        chosen.append({"id": doc_id, "title": title, "body": body,
                       "published": f"{year}-{month}-{day}T12:00:00Z",
                       "source": "reuters", "url": None})
        if len(chosen) == count:
            break
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write an evaluation corpus as a wirestream JSON Lines archive.")
    sub = parser.add_subparsers(dest="corpus", required=True)
    reuters = sub.add_parser("reuters", help="Reuters-21578 stories with a body")
    reuters.add_argument("--limit", type=int, default=None, help="at most N stories")
    reuters.add_argument("--out", required=True, help="output .jsonl file")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    try:
        count = write_jsonl(iter_reuters(limit=args.limit), args.out)
    except CorpusMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    print(f"wrote {count} stories to {args.out} in {elapsed:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

