from transforms.clean import (
    agency_name,
    canonical_url,
    content_hash,
    find_agency,
    find_dateline,
    html_to_text,
    normalize_text,
)


def test_html_becomes_paragraphs_of_plain_text():
    markup = ("<p>Rescue teams&nbsp;<b>reached</b> the village.</p>"
              "<p>Officials said <a href='/x'>more</a> aid was coming.<br>Later.</p>"
              "<script>track()</script>")
    assert html_to_text(markup) == (
        "Rescue teams reached the village.\n\n"
        "Officials said more aid was coming.\nLater.")


def test_plain_text_keeps_its_words_and_loses_entities_and_spacing():
    assert html_to_text("AT&amp;T  said   \u00a0 yes") == "AT&T said yes"
    assert html_to_text(None) == ""
    assert normalize_text("a\r\n\r\n\r\n\r\nb  c") == "a\n\nb c"


def test_content_hash_ignores_case_spacing_and_markup_but_not_words():
    one = content_hash("Headline A", html_to_text("<p>The  quick fox.</p>"))
    two = content_hash("Another headline", "the quick\nFOX.")
    assert one == two
    assert content_hash("", "the quick dog.") != one
    # Title-only items hash their title.
    assert content_hash("Only a title", "") == content_hash("only  a TITLE", "")


def test_canonical_url_drops_tracking_fragment_and_case_noise():
    a = canonical_url("HTTPS://News.Example.org/a/b?utm_source=rss&id=7&utm_medium=feed#top")
    b = canonical_url("https://news.example.org/a/b?id=7")
    assert a == b
    assert canonical_url("https://news.example.org/a/b?id=8") != b
    assert canonical_url(None) is None
    assert canonical_url("urn:uuid:1234") == "urn:uuid:1234"


def test_datelines_and_wire_credits():
    assert find_dateline("BRUSSELS (Reuters) - EU ministers met.") == ("BRUSSELS", "Reuters")
    assert find_dateline("PARIS, March 3 (AFP) - Strikes went on.") == ("PARIS", "AFP")
    assert find_dateline("NAIROBI, Kenya (AP) \u2014 Rain fell.") == ("NAIROBI, Kenya", "AP")
    assert find_dateline("NAIROBI, Kenya \u2014 Rain fell.") == ("NAIROBI, Kenya", None)
    assert find_dateline("The minister said on Monday - briefly.") == (None, None)
    assert find_agency("Markets fell.\nBy Reuters staff") == "Reuters"
    assert find_agency("Markets fell.", ("The Associated Press",)) == "AP"
    assert agency_name("agence france-presse") == "AFP"
    assert agency_name("Jane Doe") is None
