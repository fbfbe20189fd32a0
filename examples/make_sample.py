#!/usr/bin/env python3
"""Regenerate wirestream's bundled sample data (examples/sample/) from GUM.

The sample is 24 Wikinews articles as annotated in the GUM corpus
(github.com/amir-zeldes/gum, commit 72ce5ac). Text from Wikinews, CC BY 2.5;
annotations CC BY 4.0. Only the text and metadata are used here.

    python examples/make_sample.py [CONLLU_DIR] [--out DIR]

CONLLU_DIR defaults to ../shared/data/gum-wikinews/dep next to the repository;
DIR defaults to examples/sample/. examples/README.md is rewritten as well.
The output is deterministic: running it twice gives identical files.

Needs only the standard library and PyYAML.
"""

import argparse
import datetime as dt
import email.utils
import html
import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "data" / "gum-wikinews" / "dep"

GUM_COMMIT = "72ce5ac"
ATTRIBUTION = (
    "Text from Wikinews (https://en.wikinews.org), CC BY 2.5, via the GUM corpus "
    f"(Zeldes 2017, github.com/amir-zeldes/gum, commit {GUM_COMMIT}), annotations CC BY 4.0"
)

# Which article (GUM document name without "GUM_news_") goes where.
WORLD = ["asylum", "crane", "election", "flag", "korea", "lanterns",
         "questionnaire", "soccer", "stampede", "taxes", "worship"]
SCIENCE = ["afghan", "clock", "expo", "homeopathic", "ie9", "iodine",
           "nasa", "sensitive", "warhol", "warming"]
# In the archive only (not in any feed) ...
ARCHIVE_ONLY = ["defector", "hackers", "imprisoned"]
# ... and in the archive as well as in a feed, with the same URL.
ARCHIVE_ALSO_FED = ["asylum", "iodine"]

# The fictional republisher's three copies (see syndicator_items()).
SYNDICATOR_URL = "https://syndicator.example.org"
COPY_BY_URL = "korea"        # same link + utm parameters, no guid, summary only
COPY_BY_TEXT = "warming"     # new URL, guid and headline; identical body
COPY_BY_MARKUP = "taxes"     # new URL and guid; body differs in whitespace/markup only
COPY_HEADLINE = "Study: global warming and ozone pollution could cut crop yields by 2050"
UTM = "?utm_source=rss&utm_medium=feed"
SYNDICATION_DELAY = dt.timedelta(hours=3)

DATE_LINE = re.compile(
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), "
    r"(January|February|March|April|May|June|July|August|September|October|November|December) "
    r"\d{1,2}, \d{4}")


# ---------------------------------------------------------------------------
# Reading the corpus


def split_block(block, sentences):
    """Split one `# newpar` paragraph where GUM's block markup says it ends.

    `block` is the `# newpar_block` comment: the chain of elements that open
    here, each nested in the one before, with its sentence count, e.g.
    'p (6 s) | figure rend:::"..." (1 s) | caption (1 s)'. The first sentences
    belong to the innermost element (or to the whole figure); any sentences
    after them are running text (GUM has no markup for them), so they become
    a paragraph of their own. Returns [(kind, sentences), ...].
    """
    parts = [(m.group(1), int(m.group(2)))
             for m in re.finditer(r"(\w+)[^|]*?\((\d+) s\)", block)]
    parts = [(kind, n) for kind, n in parts if n > 0] or [("p", len(sentences))]
    kind, n = parts[0] if parts[0][0] == "figure" else parts[-1]
    pieces = [(kind, sentences[:n])]
    if sentences[n:]:
        pieces.append(("p", sentences[n:]))
    return pieces


def read_article(path, index):
    """One GUM .conllu file -> dict with title, url, dates, paragraphs, summary."""
    meta, newpars = {}, []          # newpars: [block, [sentence, ...]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# meta::"):
            key, _, value = line[len("# meta::"):].partition(" = ")
            meta[key] = value
        elif line == "# newpar":
            newpars.append(["", []])
        elif line.startswith("# newpar_block = "):
            newpars[-1][0] = line[len("# newpar_block = "):]
        elif line.startswith("# text = "):
            newpars[-1][1].append(line[len("# text = "):].strip())

    # The first block is the headline (same text as meta::title): not body.
    assert newpars[0][0].startswith("head"), path
    paragraphs, summary = [], None
    for block, sentences in newpars[1:]:
        for kind, piece in split_block(block, sentences):
            paragraphs.append(piece)
            # Summary: the first sentence of running text that is not the date
            # line; GUM splits a place dateline ("Evansville, Indiana, United
            # States -") off its sentence, so a sentence ending in a dash
            # gets the next one appended.
            if summary is None and kind not in ("figure", "caption"):
                lead = [s for s in piece if not DATE_LINE.fullmatch(s)]
                if lead:
                    summary = " ".join(lead[:2]) if lead[0][-1] in "-–—" else lead[0]

    # Noon UTC on the day Wikinews created the page, a few minutes apart.
    noon = dt.time(12, 0, tzinfo=dt.timezone.utc)
    offset = dt.timedelta(minutes=3 * index)
    created = dt.datetime.combine(dt.date.fromisoformat(meta["dateCreated"]), noon) + offset
    modified = dt.datetime.combine(dt.date.fromisoformat(meta["dateModified"]), noon) + offset

    return {
        "name": path.stem.replace("GUM_news_", ""),
        "title": meta["title"],
        "url": meta["sourceURL"],
        "published": created,
        "updated": max(created, modified),
        "paragraphs": paragraphs,
        "summary": summary,
    }


def body_text(article):
    return "\n\n".join(" ".join(p) for p in article["paragraphs"])


def body_html(article):
    return "\n".join(f"<p>{html.escape(' '.join(p), quote=False)}</p>"
                     for p in article["paragraphs"])


def body_html_rewrapped(article):
    """Same text as body_html(), other whitespace and markup: div/span, <br>, &nbsp;."""
    paras = ["  <span>" + "&nbsp;\n    ".join(html.escape(s, quote=False) for s in p) + "</span>"
             for p in article["paragraphs"]]
    return '<div class="syndicated">\n' + "\n  <br><br>\n".join(paras) + "\n</div>"


def slugify(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


# ---------------------------------------------------------------------------
# Writing XML (plain string templates; every value goes through esc/attr/cdata)


def esc(text):
    return html.escape(text, quote=False)


def attr(text):
    return html.escape(text, quote=True)


def cdata(text):
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rfc822(when):
    return email.utils.format_datetime(when, usegmt=True)


def rfc3339(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def rss_item(title, link, published, summary, content=None, guid=None,
             permalink=True, content_as_cdata=True):
    lines = ["    <item>",
             f"      <title>{esc(title)}</title>",
             f"      <link>{esc(link)}</link>"]
    if guid:
        lines.append(f'      <guid isPermaLink="{str(permalink).lower()}">{esc(guid)}</guid>')
    lines += [f"      <pubDate>{rfc822(published)}</pubDate>",
              "      <dc:creator>Wikinews</dc:creator>",
              f"      <description>{esc(summary)}</description>"]
    if content is not None:
        body = cdata(content) if content_as_cdata else esc(content)
        lines.append(f"      <content:encoded>{body}</content:encoded>")
    lines.append("    </item>")
    return "\n".join(lines)


def rss_feed(title, link, description, items, last_build):
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"',
        '     xmlns:content="http://purl.org/rss/1.0/modules/content/"',
        '     xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "  <channel>",
        f"    <title>{esc(title)}</title>",
        f"    <link>{esc(link)}</link>",
        f"    <description>{esc(description)}</description>",
        "    <language>en</language>",
        f"    <copyright>{esc(ATTRIBUTION)}</copyright>",
        f"    <lastBuildDate>{rfc822(last_build)}</lastBuildDate>",
        *items,
        "  </channel>",
        "</rss>",
        "",
    ])


def atom_entry(article):
    return "\n".join([
        "  <entry>",
        f"    <id>{esc(article['url'])}</id>",
        f"    <title>{esc(article['title'])}</title>",
        f'    <link rel="alternate" type="text/html" href="{attr(article["url"])}"/>',
        f"    <published>{rfc3339(article['published'])}</published>",
        f"    <updated>{rfc3339(article['updated'])}</updated>",
        f"    <summary>{esc(article['summary'])}</summary>",
        f'    <content type="html">{esc(body_html(article))}</content>',
        "  </entry>",
    ])


def atom_feed(title, feed_id, link, entries, updated):
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f"  <id>{esc(feed_id)}</id>",
        f"  <title>{esc(title)}</title>",
        f'  <link rel="alternate" type="text/html" href="{attr(link)}"/>',
        f"  <updated>{rfc3339(updated)}</updated>",
        "  <author><name>Wikinews</name></author>",
        f"  <rights>{esc(ATTRIBUTION)}</rights>",
        *entries,
        "</feed>",
        "",
    ])


# ---------------------------------------------------------------------------
# The files


def newest_first(articles):
    return sorted(articles, key=lambda a: a["published"], reverse=True)


def world_rss(articles):
    items = [rss_item(a["title"], a["url"], a["published"], a["summary"],
                      content=body_html(a), guid=a["url"])
             for a in newest_first(articles)]
    return rss_feed("Wikinews (sample): world", "https://en.wikinews.org/",
                    "World news from Wikinews, a sample bundled with wirestream.",
                    items, max(a["published"] for a in articles))


def science_atom(articles):
    entries = [atom_entry(a) for a in newest_first(articles)]
    return atom_feed("Wikinews (sample): science",
                     "tag:example.org,2025:wirestream/sample/wikinews-science",
                     "https://en.wikinews.org/", entries,
                     max(a["updated"] for a in articles))


def syndicator_items(by_name):
    """Three republished copies, each a few hours after the original."""
    later = SYNDICATION_DELAY
    a = by_name[COPY_BY_URL]        # (a) same story by canonical URL
    b = by_name[COPY_BY_TEXT]       # (b) same story by text hash
    c = by_name[COPY_BY_MARKUP]     # (c) same text once HTML and whitespace are normalized

    def own_url(article):
        return f"{SYNDICATOR_URL}/{article['published'].year}/{slugify(article['title'])}"

    return [
        rss_item(a["title"], a["url"] + UTM, a["published"] + later, a["summary"]),
        rss_item(COPY_HEADLINE, own_url(b), b["published"] + 2 * later, b["summary"],
                 content=body_html(b), guid=f"example-syndicator-{b['name']}", permalink=False),
        rss_item(c["title"], own_url(c), c["published"] + later, c["summary"],
                 content=body_html_rewrapped(c), guid=own_url(c), content_as_cdata=False),
    ], {"a": (a, a["url"] + UTM), "b": (b, own_url(b)), "c": (c, own_url(c))}


def archive_record(article, published):
    return {
        "id": f"wikinews-archive:{article['name']}",
        "title": article["title"],
        "body": body_text(article),
        "url": article["url"],
        "published": published,
        "source": "wikinews-archive",
        "summary": article["summary"],
        "authors": ["Wikinews"],
    }


def archive_lines(by_name):
    """Good records; "published" in the three ISO 8601 spellings the contract allows."""
    lines = []
    for i, name in enumerate(ARCHIVE_ONLY + ARCHIVE_ALSO_FED):
        when = by_name[name]["published"]
        published = [when.isoformat(),                                     # +00:00
                     rfc3339(when),                                        # Z
                     when.replace(tzinfo=None).isoformat()][i % 3]         # no offset = UTC
        lines.append(json.dumps(archive_record(by_name[name], published), ensure_ascii=False))
    return lines


BAD_LINES = [
    # not valid JSON (a record cut off mid-line)
    '{"id": "wikinews-archive:truncated", "title": "A record cut off in the middle',
    # valid JSON, but neither title nor body
    json.dumps({"id": "wikinews-archive:empty", "url": "https://en.wikinews.org/wiki/Main_Page",
                "published": "2017-08-01T12:00:00Z", "source": "wikinews-archive",
                "authors": ["Wikinews"]}),
]


FEEDS = [  # (file, source)
    ("wikinews-world.rss", "wikinews-world"),
    ("wikinews-science.atom", "wikinews-science"),
    ("syndicator.rss", "example-syndicator"),
]


def feeds_yaml():
    doc = {"feeds": [{"url": f, "source": s, "language": "en"} for f, s in FEEDS]}
    return ("# Sample feeds bundled with wirestream; paths are relative to this file.\n"
            "# Generated by examples/make_sample.py.\n"
            + yaml.safe_dump(doc, sort_keys=False))


def feeds_opml():
    outlines = [f'    <outline type="rss" text="{attr(s)}" title="{attr(s)}" '
                f'xmlUrl="{attr(f)}" language="en"/>' for f, s in FEEDS]
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        "    <title>wirestream sample feeds</title>",
        "  </head>",
        "  <body>",
        *outlines,
        "  </body>",
        "</opml>",
        "",
    ])


def readme(articles, copies):
    where = {}
    for name in WORLD:
        where[name] = ["wikinews-world.rss"]
    for name in SCIENCE:
        where[name] = ["wikinews-science.atom"]
    for name in ARCHIVE_ONLY + ARCHIVE_ALSO_FED:
        where.setdefault(name, []).append("archive.jsonl")
    for _, (article, _url) in copies.items():
        where[article["name"]].append("syndicator.rss")
    rows = "\n".join(
        f"| {a['name']} | [{a['title'].replace('|', '/')}]({a['url']}) | "
        f"{a['published']:%Y-%m-%d} | {', '.join(where[a['name']])} |"
        for a in articles)
    (a, url_a), (b, url_b), (c, url_c) = copies["a"], copies["b"], copies["c"]
    n_good = len(ARCHIVE_ONLY + ARCHIVE_ALSO_FED)
    return f"""# Sample data

`sample/` holds small inputs for running wirestream offline: three feeds, a
feed list naming them, and a JSON Lines archive. It is meant as the bundled
sample that `wirestream run` uses when given neither `--feeds` nor
`--articles`, and as a test fixture. Generated; do not edit by hand.

| file | what |
|---|---|
| `sample/feeds.yaml` | the feed list (YAML): the three feeds below, by path relative to it |
| `sample/feeds.opml` | the same list as OPML 2.0 |
| `sample/wikinews-world.rss` | RSS 2.0, {len(WORLD)} items, full text as HTML in `content:encoded` (CDATA) |
| `sample/wikinews-science.atom` | Atom 1.0, {len(SCIENCE)} entries, full text in `content type="html"` |
| `sample/syndicator.rss` | RSS 2.0 of a fictional republisher: 3 copies of stories above |
| `sample/archive.jsonl` | {n_good} archive records, all valid |
| `sample/archive-with-errors.jsonl` | the same {n_good} records plus 2 bad lines at the end |

## How it was made

From the 24 Wikinews articles of the GUM corpus, with Python 3 and PyYAML,
from the repository root:

    python examples/make_sample.py                # reads ../shared/data/gum-wikinews/dep
    python examples/make_sample.py CONLLU_DIR --out DIR

It rewrites every file in `sample/` and this README, identically on every run.

- Title, link and dates come from each document's `# meta::title`,
  `# meta::sourceURL`, `# meta::dateCreated` and `# meta::dateModified`.
  Times of day are invented: 12:00 UTC plus 3 minutes per article in file-name
  order (`published` on `dateCreated`, Atom `updated` on `dateModified`).
- The body is the `# text =` lines: sentences joined by a space, paragraphs
  (at `# newpar`) by a blank line, without the first block (the headline).
  Where GUM's block markup (`# newpar_block`) shows a figure caption, quote or
  list item ending before the paragraph does, the rest becomes a paragraph of
  its own. Nothing else is added or dropped: the date line, image captions
  and credits ("Image: NASA."), section headings, "Sources" lists and
  language tags ("((it))") stay where GUM has them. In the feeds each
  paragraph is one `<p>`.
- Summary (`description`/`summary`): the first sentence of running text after
  the date line.
- Archive `published` uses the three ISO 8601 spellings in turn: `+00:00`,
  `Z`, and no offset (which the contract reads as UTC).

## Duplicates (by design)

`syndicator.rss` ("Example Syndicator (sample)") republishes three stories a
few hours after the originals:

- (a) same story by canonical URL: "{a['title']}", link
  `{url_a}`: the original link plus utm parameters, no guid, and only the
  summary (no full text), so nothing but URL canonicalization finds it.
- (b) same story by text: "{COPY_HEADLINE}" at
  `{url_b}` is "{b['title']}" under a new headline, URL and guid, with
  byte-identical body HTML.
- (c) same text once normalized: "{c['title']}" at
  `{url_c}`, new guid; the body differs from the original only in whitespace
  and markup (`<div>`/`<span>` instead of `<p>`, `<br>`, `&nbsp;`, line breaks,
  entity-escaped HTML instead of CDATA).

In the archive, {" and ".join(ARCHIVE_ALSO_FED)} are also in a feed, with the same URL
(body as plain text there, HTML in the feed). {", ".join(ARCHIVE_ONLY)} are only in the archive.

## Bad input (by design)

The last two lines of `archive-with-errors.jsonl` should each go to
dead_letters while the run goes on: line {n_good + 1} is not valid JSON (cut off),
line {n_good + 2} is a JSON object with neither title nor body.

## Known quirks of the source text

- GUM's text has spaces around some hyphens and dashes (`six - member`,
  `Scientology - owned`, `2000 - 2050`); kept as is.
- The date line is not always `dateCreated`: afghan says July 21, 2017
  (created July 18), soccer June 19, 2018 (created June 18), and imprisoned
  says "Thursday, May 7, 2015" although its `dateCreated` is 2011-12-02
  (the same line as flag's; apparently a slip in GUM). Kept as is.
- Running text after a figure has no paragraph markup in GUM, so its original
  paragraph breaks are lost (flag has one 14-sentence paragraph).
- Some captions come before the lead (crane, questionnaire, warhol, ...), and
  warhol's place dateline ("Evansville, Indiana, United States -") is a
  sentence of its own in GUM.

## Attribution

{ATTRIBUTION}.

| GUM name | article | created | in |
|---|---|---|---|
{rows}
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                        help="folder with GUM_news_*.conllu (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE / "sample",
                        help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    paths = sorted(args.corpus.glob("GUM_news_*.conllu"))
    if not paths:
        sys.exit(f"make_sample.py: no GUM_news_*.conllu in {args.corpus}")
    articles = [read_article(p, i) for i, p in enumerate(paths)]
    by_name = {a["name"]: a for a in articles}
    missing = set(WORLD + SCIENCE + ARCHIVE_ONLY) - set(by_name)
    if missing:
        sys.exit(f"make_sample.py: articles not found: {sorted(missing)}")

    items, copies = syndicator_items(by_name)
    good = archive_lines(by_name)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "wikinews-world.rss": world_rss([by_name[n] for n in WORLD]),
        "wikinews-science.atom": science_atom([by_name[n] for n in SCIENCE]),
        "syndicator.rss": rss_feed(
            "Example Syndicator (sample)", SYNDICATOR_URL + "/",
            "A fictional republisher of wire copy, for testing deduplication.",
            items, max(a["published"] for a, _ in copies.values()) + SYNDICATION_DELAY * 2),
        "feeds.yaml": feeds_yaml(),
        "feeds.opml": feeds_opml(),
        "archive.jsonl": "\n".join(good) + "\n",
        "archive-with-errors.jsonl": "\n".join(good + BAD_LINES) + "\n",
        "__init__.py": '"""Sample feeds and archive bundled with wirestream (see examples/README.md)."""\n',
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name} ({len(text.encode('utf-8')):,} bytes)")
    (out.parent / "README.md").write_text(readme(articles, copies), encoding="utf-8")
    print(f"wrote {out.parent / 'README.md'}")


if __name__ == "__main__":
    main()
