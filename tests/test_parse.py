from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import DeadLetter, FetchResult, Story
from tests.conftest import SAMPLE, shared_data
from transforms.text import ParseFeeds
from transforms.text.feeds import parse_feed

NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)


def fetched(body: bytes, url="https://example.org/feed", content_type=None,
            language=None) -> FetchResult:
    return FetchResult(run_id="run", feed_url=url, source="src", status=200,
                       not_modified=False, items=0, bytes=len(body), duration_ms=1,
                       error=None, fetched_at=NOW, body=body, language=language,
                       content_type=content_type)


def split(outputs):
    outputs = list(outputs)
    stories = [o for o in outputs if isinstance(o, Story)]
    dead = [o for o in outputs if isinstance(o, DeadLetter)]
    (log,) = [o for o in outputs if isinstance(o, FetchResult)]
    return stories, dead, log


def test_rss_items_become_clean_stories_with_utc_dates():
    stories, dead, log = split(parse_feed(fetched((SAMPLE / "wikinews-world.rss").read_bytes(),
                                                  language="en")))
    assert len(stories) == log.items == 11 and not dead and log.body is None
    story = stories[0]
    assert story.published_at.tzinfo == timezone.utc
    assert "<p>" not in story.body and "\n\n" in story.body
    assert story.language == "en" and story.source == "src"
    assert story.url.startswith("https://en.wikinews.org/wiki/")
    assert len({s.story_id for s in stories}) == 11


def test_atom_feed_and_story_ids_stable_across_parses():
    body = (SAMPLE / "wikinews-science.atom").read_bytes()
    first, _, _ = split(parse_feed(fetched(body)))
    again, _, _ = split(parse_feed(fetched(body, url="https://mirror.example.org/feed")))
    assert len(first) == 10
    # Atom ids are URIs: global, so the same entry from a mirror is the same story.
    assert [s.story_id for s in first] == [s.story_id for s in again]


def test_real_feeds_in_rss1_and_latin1_parse():
    guardian, _, _ = split(parse_feed(fetched(shared_data("feeds-real", "rss-parser", "guardian.rss").read_bytes())))
    assert len(guardian) == 55
    uol, _, _ = split(parse_feed(fetched(shared_data("feeds-real", "rss-parser", "uolNoticias.rss").read_bytes())))
    assert uol and any(ch in "".join(s.title for s in uol) for ch in "ãçéíóú")
    science, _, _ = split(parse_feed(fetched(shared_data("feeds-real", "rss-parser", "rss-1.rss").read_bytes())))
    assert science


@pytest.mark.parametrize("body", [b"<html><body><h1>Not here</h1></body></html>",
                                  b'{"error": "rate limited"}', b""])
def test_bodies_that_are_not_feeds_are_one_dead_letter_and_a_log_error(body):
    stories, dead, log = split(parse_feed(fetched(body, content_type="text/html")))
    assert not stories
    assert [d.error for d in dead] == ["NotAFeed"]
    assert log.error.startswith("NotAFeed") and log.items == 0


def test_entries_without_title_or_body_are_dead_letters_the_rest_are_kept():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Kept</title><link>https://example.org/a</link></item>
    <item><link>https://example.org/empty</link></item>
    <item><description>&lt;p&gt;Body only&lt;/p&gt;</description></item>
    </channel></rss>"""
    stories, dead, log = split(parse_feed(fetched(body)))
    assert [s.title or s.body for s in stories] == ["Kept", "Body only"]
    assert [(d.error, d.ref) for d in dead] == [("InvalidStory", "https://example.org/feed#entry=1")]
    assert log.items == 2


def test_failed_and_unchanged_fetches_pass_straight_to_the_log():
    failed = FetchResult("run", "u", "s", None, False, 0, 0, 5, "HTTP 500", NOW)
    assert list(parse_feed(failed)) == [failed]


def test_parse_composite_splits_stories_logs_and_dead_letters(beam_pipeline):
    good = fetched((SAMPLE / "syndicator.rss").read_bytes(), url="good")
    bad = fetched(b"<html></html>", url="bad")
    with beam_pipeline as p:
        stories, logs, dead = p | beam.Create([good, bad]) | ParseFeeds("run")
        assert_that(stories | beam.Map(lambda s: s.feed_url), equal_to(["good"] * 3), label="stories")
        assert_that(logs | beam.Map(lambda r: (r.feed_url, r.items, r.error is None)),
                    equal_to([("good", 3, True), ("bad", 0, False)]), label="logs")
        assert_that(dead | beam.Map(lambda d: (d.ref, d.error)), equal_to([("bad", "NotAFeed")]),
                    label="dead")


def test_a_story_as_a_site_publishes_it_is_credited_to_its_wire_not_its_photos():
    # A Reuters story on a site that runs Getty and AFP photos in its text.
    item = """<p>Paris (Reuters) &#8211; French unions called a fresh strike on Thursday.</p>
    <p>Rail workers picket outside Gare de Lyon (r.) in Paris. &#169; Collage: JANE ROE /
    GETTY IMAGES EUROPE / GETTY IMAGES VIA AFP &amp; JOHN DOE / AFP</p>
    <figure><img src="a.jpg"><figcaption>Photo: Lea Vos/AFP</figcaption></figure>
    <p>A Reuters/Ipsos poll found 40 percent support for the strike.</p>
    <p>File photo of a picket line in Marseille.</p>
    <p>Reporting by Jan Berg; Editing by Ana Lima</p>"""
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>French unions call new strike</title><link>https://example.org/strike</link>
    <description><![CDATA[{item}]]></description></item></channel></rss>""".encode()
    (story,), dead, _ = split(parse_feed(fetched(feed)))
    assert not dead
    assert (story.dateline, story.agency) == ("Paris", "Reuters")
    assert story.body == ("French unions called a fresh strike on Thursday.\n\n"
                          "A Reuters/Ipsos poll found 40 percent support for the strike.")


def test_a_photo_credit_in_a_story_without_a_wire_credits_no_agency():
    item = """<p>Kyiv, Ukraine &#8212; Air raid sirens sounded across the capital overnight.</p>
    <p>Residents shelter in a metro station in Kyiv. &#169; Photo: Jane Roe / AFP</p>
    <p>Officials said there were no casualties.</p>"""
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Sirens in Kyiv</title><link>https://example.org/kyiv</link>
    <description><![CDATA[{item}]]></description></item></channel></rss>""".encode()
    (story,), _, _ = split(parse_feed(fetched(feed)))
    assert (story.dateline, story.agency) == ("Kyiv, Ukraine", None)
    assert story.body == ("Air raid sirens sounded across the capital overnight.\n\n"
                          "Officials said there were no casualties.")
