import pytest

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


def test_plain_wire_copy_keeps_names_in_angle_brackets():
    # Reuters' style marks unlisted companies and tickers with <...>; only
    # real HTML elements make a body markup to be stripped.
    body = "<Ord Minnett Ltd> said it bought 5 pct of <IMO.A> for 3 < 4 dlrs."
    assert html_to_text(body) == body
    assert html_to_text("<p>Bought by <b>Ord</b> &amp; Co</p>") == "Bought by Ord & Co"
    assert html_to_text("one<br/>two") == "one\ntwo"


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


# --- Bodies as sites publish them (issue 13, part 2) ------------------------------------


@pytest.mark.parametrize("body, place, agency", [
    ("Washington DC - The Senate passed the bill late on Tuesday.", "Washington DC", None),
    ("WASHINGTON (AP) \u2014 The Senate passed the bill late on Tuesday.", "WASHINGTON", "AP"),
    ("Paris (AFP) \u2013 Rail workers walked out on Thursday.", "Paris", "AFP"),
    ("NEW DELHI, Dec 1 (Reuters) - India's central bank held rates.", "NEW DELHI", "Reuters"),
    ("Kyiv, Ukraine \u2014 Air raid sirens sounded across the capital.", "Kyiv, Ukraine", None),
    ("Rio de Janeiro (Reuters) - Brazil's real firmed.", "Rio de Janeiro", "Reuters"),
    ("New York - Stocks closed higher on Friday.", "New York", None),
    ("Geneva, March 3 (dpa) \u2014 Talks resumed.", "Geneva", "dpa"),
])
def test_mixed_case_datelines_as_sites_publish_them(body, place, agency):
    cleaned, got_place, got_agency = clean_wire_body(body)
    assert (got_place, got_agency) == (place, agency)
    assert not cleaned.startswith(place.split(",")[0]) and cleaned[0].isupper()


@pytest.mark.parametrize("body", [
    "Paris is a city of bridges, and on Sunday most of them were closed.",
    "Paris - the city of light - went dark on Sunday.",       # lower case after the dash
    "Update - The council has since withdrawn the plan.",    # a heading, not a place
    "Analysis \u2014 Why the vote matters for the coalition.",
    "Pep Boys - Manny, Moe and Jack Inc raised its dividend.",  # a company's name
    "Credit Suisse - First Boston said it raised its stake.",
    "Chicago -- 3.04 2.98 2.90",                              # a table's row
    "Tenders - Jordan will tender on Monday for wheat.",       # a market report's heading
    "Rain fell in Paris.\n\nParis (AFP) \u2013 not at the start of the body.",
])
def test_a_mixed_case_first_sentence_is_not_a_dateline(body):
    assert clean_wire_body(body) == (body, None, None)


def test_a_caption_ending_in_stacked_photo_credits_leaves_the_body():
    body = ("CARACAS (Reuters) - Thousands marched through the capital on Saturday.\n\n"
            "Opposition supporters wave flags during a rally in Caracas. \u00a9 Collage: "
            "JANE ROE / GETTY IMAGES NORTH AMERICA / GETTY IMAGES VIA AFP & JOHN DOE / AFP\n\n"
            "Police said the march was peaceful.\n\n"
            "A protester holds a sign near the palace. \u00a9 Photo: Ana Lima/EPA")
    assert clean_wire_body(body) == (
        "Thousands marched through the capital on Saturday.\n\n"
        "Police said the march was peaceful.", "CARACAS", "Reuters")


def test_position_marker_photo_and_file_photo_captions_leave_the_body():
    body = ("BERLIN (dpa) - The chancellor met the French president on Monday.\n\n"
            "Chancellor Olaf Scholz (r.) greets President Emmanuel Macron in Berlin.\n\n"
            "The two leaders (L) and (R) pose before talks.\n\n"
            "Finance ministers (from left) Jan Berg and Lea Vos arrive.\n\n"
            "The leaders discussed energy prices.\n\n"
            "Workers at a wind farm near Husum. Photo: Jan Berg\n\n"
            "Photo: Lea Vos/dpa\n\n"
            "Wind turbines at dusk Image: Jan Berg.\n\n"
            "The chancellor's speech in full. Video: Lea Vos & Jan Berg.\n\n"
            "FILE PHOTO: A view of the chancellery in Berlin. REUTERS/Lea Vos/File Photo\n\n"
            "File photo of the Elysee Palace in Paris.\n\n"
            "FILE - Demonstrators gather outside the Bundestag in 2022.\n\n"
            "A crowd outside the station in Hamburg (File photo).\n\n"
            "Traders at the exchange in Frankfurt, March 3, 2024. REUTERS/Kai Pfaffenbach\n\n"
            "Officials said a joint statement would follow.")
    cleaned, place, agency = clean_wire_body(body)
    assert (place, agency) == ("BERLIN", "dpa")
    assert cleaned == ("The chancellor met the French president on Monday.\n\n"
                       "The leaders discussed energy prices.\n\n"
                       "Officials said a joint statement would follow.")


def test_story_paragraphs_like_captions_stay():
    body = ("A Reuters/Ipsos poll found 40 percent support.\n\n"
            "Support fell to 38 percent, according to Reuters/Ipsos.\n\n"
            "Gov. Jane Doe (R) signed the bill on Friday.\n\n"
            "Borac 1 Mladost (L) 2\n\n"
            "Mladost (L) 4 2 1 1 8 5 7\n\n"
            "The film festival opens on Friday with a photo exhibition.\n\n"
            "FILE transfers were blocked, the company said.")
    assert clean_wire_body(body) == (body, None, None)


def test_a_video_player_and_photo_buttons_leave_the_body():
    # USA Today network pages: the player's headline and its CLOSE button
    # before the story, on lines of their own or run into its first line.
    on_lines = ("Mayor vows to reopen the bridge by spring\nCLOSE\n\n"
                "Mayor Ann Lee said on Tuesday the bridge would reopen in March.\n\n"
                "Buy Photo\n\nCrews began work last week.")
    assert clean_wire_body(on_lines)[0] == (
        "Mayor vows to reopen the bridge by spring\n\n"
        "Mayor Ann Lee said on Tuesday the bridge would reopen in March.\n\n"
        "Crews began work last week.")
    run_in = ("Mayor's bridge plan: 'no delays' before spring CLOSE Buy Photo "
              "Gov. Ann Lee said on Tuesday the bridge would reopen in March.")
    assert clean_wire_body(run_in)[0] == (
        "Mayor's bridge plan: 'no delays' before spring\n\n"
        "Gov. Ann Lee said on Tuesday the bridge would reopen in March.")


@pytest.mark.parametrize("body", [
    "U.S. STOCKS CLOSE HIGHER ON RATE HOPES\n\nStocks rose on Monday.",
    "Traders said markets would CLOSE Friday.",
    "Shares rose.\n\nAnalysts expect the index to CLOSE Above its average this week.",
])
def test_close_in_a_headline_or_a_sentence_stays(body):
    assert clean_wire_body(body) == (body, None, None)


def test_a_photo_credit_never_names_the_agency():
    # A Getty or AFP photo on a Reuters story does not make it AFP copy.
    body = ("Ministers met in Brussels on Monday.\n\n"
            "Ministers arrive for talks in Brussels. \u00a9 Photo: Jane Roe / AFP\n\n"
            "EU leaders at the summit. Photo: John Doe/AFP via Getty Images\n\n"
            "\u00a9 Getty Images/AFP\n\n"
            "They agreed on a budget.\n\n"
            "Reporting by Jan Berg; Editing by Lea Vos\n\n"
            "\u00a9 2024 Reuters")
    assert clean_wire_body(body) == (
        "Ministers met in Brussels on Monday.\n\nThey agreed on a budget.", None, "Reuters")
    only_photos = ("Ministers met in Brussels.\n\n"
                   "Ministers arrive for talks. \u00a9 Collage: JANE ROE / GETTY IMAGES VIA AFP")
    assert clean_wire_body(only_photos)[2] is None
    assert find_dateline(only_photos) == (None, None)
    assert find_agency("", ("John Doe/AFP via Getty Images",)) is None
    assert find_agency("", ("Jane Roe, AFP",)) == "AFP"


def test_a_caption_before_the_dateline_does_not_hide_it():
    body = ("Rescue workers search the rubble in Antakya. (AP Photo/Jane Roe)\n\n"
            "ANTAKYA, Turkey (AP) \u2014 Rescuers pulled a girl from the rubble.")
    assert clean_wire_body(body) == (
        "Rescuers pulled a girl from the rubble.", "ANTAKYA, Turkey", "AP")
