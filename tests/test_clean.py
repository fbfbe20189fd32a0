from transforms.text.ids import canonical_url, content_hash
from transforms.text.markup import html_to_text, normalize_text
from transforms.text.wire import agency_name, find_agency, find_dateline


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


# --- Wire cleaning ----------------------------------------------------------------------

from transforms.text.language import detect_language  # noqa: E402
from transforms.text.markup import strip_markup_furniture  # noqa: E402
from transforms.text.wire import clean_title, clean_wire_body  # noqa: E402


def test_a_dateline_leaves_the_body_for_its_column():
    assert clean_wire_body("BRUSSELS (Reuters) - EU ministers met.") == (
        "EU ministers met.", "BRUSSELS", "Reuters")
    # Reuters' 1990s layout: the dateline on a line of its own
    assert clean_wire_body("LONDON 1996-08-30\nWest Indian all-rounder Phil Simmons took four.") == (
        "West Indian all-rounder Phil Simmons took four.", "LONDON", None)
    assert clean_wire_body("WASHINGTON, Jan. 5, 2024 (AP) \u2014 Congress met.")[1:] == (
        "WASHINGTON", "AP")
    # ordinary first sentences stay
    assert clean_wire_body("The minister said on Monday - briefly.") == (
        "The minister said on Monday - briefly.", None, None)


def test_credits_captions_and_furniture_leave_the_body():
    body = ("NAIROBI, Kenya (AP) \u2014 Rain fell across the city on Monday.\n\n"
            "Residents wade through a flooded street in Nairobi. (AP Photo/Brian Inganga)\n\n"
            "Advertisement\n\n"
            "More rain is expected, officials said.\n\n"
            "Read more: Floods in East Africa\n\n"
            "Reporting by Duncan Miriri; Editing by Alison Williams\n\n"
            "Copyright 2024 The Associated Press. All rights reserved.")
    cleaned, dateline, agency = clean_wire_body(body)
    assert (dateline, agency) == ("NAIROBI, Kenya", "AP")
    assert cleaned == ("Rain fell across the city on Monday.\n\n"
                       "More rain is expected, officials said.")


def test_the_agency_comes_from_a_credit_line_when_there_is_no_dateline():
    assert clean_wire_body("Markets fell on Monday.\n\nBy Jane Doe, Reuters")[2] == "Reuters"
    assert find_agency("", ("Jane Doe, Associated Press",)) == "AP"


def test_html_captions_and_asides_never_reach_the_text():
    markup = ("<p>Rain fell.</p><figure><img src='a.jpg'><figcaption>Residents in Nairobi."
              "</figcaption></figure><aside>Related: more</aside>"
              "<div class='article-caption'>Photo: AFP</div><p>More rain came.</p>")
    assert html_to_text(strip_markup_furniture(markup)) == "Rain fell.\n\nMore rain came."


def test_outlet_suffixes_leave_the_title():
    assert clean_title("Floods hit Kenya | Reuters") == ("Floods hit Kenya", "Reuters")
    assert clean_title("Floods hit Kenya - The Associated Press") == ("Floods hit Kenya", "AP")
    assert clean_title("AP - a title about the AP") == ("AP - a title about the AP", None)


def test_language_is_detected_with_a_shipped_model_and_left_open_when_unsure():
    assert detect_language("The minister said on Monday that the talks with the union "
                           "had broken down and that a strike was now likely.") == "en"
    assert detect_language("Die Ministerin sagte am Montag, die Gespräche mit der Gewerkschaft "
                           "seien gescheitert und ein Streik sei nun wahrscheinlich. Die "
                           "Arbeitgeber wiesen die Vorwürfe zurück und kündigten an, sich "
                           "nicht erpressen zu lassen.") == "de"
    assert detect_language("Benetton (Italy) 92 Dinamo (Russia) 81") is None  # too short
    assert detect_language("") is None
