"""What one story may cost extraction (transforms/nlp/guard.py): a 3 MB
story is read in pieces with its offsets right, or up to a limit with a dead
letter saying so; input that makes spaCy or the rules slow never holds up
the rest of the batch."""

import json
import re
import time
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipeline.cli import main
from schemas.records import Extraction, Story
from tests.conftest import SAMPLE
from tests.helpers import assert_conserved, manifests, sql
from transforms.nlp import Extract
from transforms.nlp.extract import extract
from transforms.nlp.guard import (
    SENTENCE_TOKENS, Limits, StoryTimeout, Warned, blank_long_runs, cap_sentences, piece_text,
    plan, rule_deadline)
from transforms.nlp.model import (
    SENTENCE_CAP, ExtractionFailed, SpacyModelHandler, resolve_model, warm_caches)
from transforms.nlp.names import model_text
from transforms.text.stories import build_story

MB3 = 3_000_000
DEEP = "Jacinda Ardern met Olaf Scholz in Wellington on Tuesday, officials said.\n\n"


def story(story_id, body, title=""):
    """A Story as the text stage builds it."""
    return build_story(story_id=story_id, source="t", feed_url=None, url=None, title=title,
                       body_markup=body, summary_markup=None,
                       published_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
                       fetched_at=datetime(2026, 3, 9, tzinfo=timezone.utc),
                       language="en", authors=[], run_id="run")


def raw_story(story_id, body, title=""):
    """A Story with exactly this body (building one cleans the text)."""
    return Story(story_id=story_id, source="t", feed_url=None, url=None, title=title, body=body,
                 summary=None, published_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
                 fetched_at=datetime(2026, 3, 9, tzinfo=timezone.utc), language="en",
                 agency=None, dateline=None, authors=(), content_hash="h", run_id="run")


def sample_bodies():
    return [json.loads(line) for line in (SAMPLE / "archive.jsonl").read_text().splitlines()]


def prose(size: int) -> str:
    """`size` characters of real news paragraphs (the sample's Wikinews text)."""
    text = "".join(r["body"].strip() + "\n\n" for r in sample_bodies())
    return (text * (size // len(text) + 1))[:size]


def with_sentence_at(text: str, at: int, sentence: str) -> tuple[str, int]:
    """`text` with `sentence` as a paragraph of its own near `at`, and its offset."""
    cut = text.rindex("\n\n", 0, at) + 2
    return text[:cut] + sentence + text[cut:], cut


def normal_stories():
    return [story(f"normal-{i}", r["body"], r["title"]) for i, r in enumerate(sample_bodies()[:3])]


# --- Plain parts -------------------------------------------------------------------

def test_a_3mb_story_is_read_in_paragraph_pieces_up_to_the_limit():
    big = raw_story("big", prose(MB3), title="A long one")
    limits = Limits()
    result = plan(big, limits)
    head = len("A long one\n\n")
    assert result.total_chars == head + len(big.body) and result.truncated
    assert result.read_chars <= limits.max_chars
    read = "".join(p.story.body for p in result.pieces)
    assert read == big.body[:result.read_chars - head]
    for piece in result.pieces:
        assert big.body[piece.offset:piece.offset + len(piece.story.body)] == piece.story.body
        assert len(piece_text(piece)) <= limits.chunk_chars
        assert piece.story.body.endswith("\n\n")  # cut at paragraph breaks
    # the title and dateline belong to the first piece only
    assert [p.story.title for p in result.pieces[:2]] == ["A long one", ""]


def test_a_story_without_a_space_is_cut_anywhere_and_a_short_one_is_itself():
    word = raw_story("word", "x" * MB3)
    result = plan(word, Limits())
    assert "".join(p.story.body for p in result.pieces) == word.body[:result.read_chars]
    assert all(len(p.story.body) <= Limits().chunk_chars for p in result.pieces)
    short = story("short", "Tim Cook works for Apple.")
    assert [p.story for p in plan(short, Limits()).pieces] == [short]


def test_an_enormous_title_is_read_in_part_and_said_so(model):
    title = "Angela Merkel visited Paris. " + "More words here. " * (MB3 // 17)
    huge = raw_story("title", "Tim Cook works for Apple.", title=title)
    limits = Limits(chunk_chars=4000)
    result = plan(huge, limits)
    [piece] = result.pieces
    assert title.startswith(piece.story.title) and len(piece.story.title) <= 2000
    assert result.truncated and result.read_chars == len(piece.story.title)
    [out] = SpacyModelHandler("unused", limits=limits).run_inference([huge], model)
    assert isinstance(out.inference, Warned) and out.inference.error == "StoryTruncated"
    assert ("title", 0, 13, "Angela Merkel") in {
        (e.field, e.start_char, e.end_char, e.text) for e in out.inference.extraction.entities}


def test_long_runs_are_blanked_for_the_model_keeping_every_offset():
    text = ("Tim Cook spoke... -- (briefly)!\n" + ")" * 5000 + " Angela Merkel replied. "
            + "iVBORw0KGgo+/" * 1000 + " Paris.")
    blanked = blank_long_runs(text)
    assert len(blanked) == len(text)
    assert blanked.startswith("Tim Cook spoke... -- (briefly)!\n")  # ordinary punctuation stays
    for word in ("Angela Merkel", "Paris."):
        assert blanked.index(word) == text.index(word)
    assert ")" not in blanked[40:] and "iVBOR" not in blanked
    ordinary = prose(20_000)
    assert blank_long_runs(ordinary) is ordinary


def test_a_run_of_tokens_without_a_sentence_end_is_cut_for_the_parser(nlp):
    doc = cap_sentences(nlp.make_doc('"a b c d" ' * 200))
    starts = [t.i for t in doc if t.is_sent_start]
    assert starts and all(b - a <= SENTENCE_TOKENS for a, b in zip([0] + starts, starts))
    prose_doc = cap_sentences(nlp.make_doc(prose(20_000)))
    assert not any(t.is_sent_start for t in prose_doc[1:])  # news prose is left to the parser


def test_rule_code_that_never_ends_is_stopped():
    with pytest.raises(StoryTimeout):
        with rule_deadline(0.2):
            while True:
                pass


def test_only_the_thread_that_overran_is_stopped():
    import threading

    outcome = {}

    def work(name, seconds, spin):
        try:
            with rule_deadline(seconds):
                end = time.monotonic() + spin
                while time.monotonic() < end:
                    pass
            outcome[name] = "done"
        except StoryTimeout:
            outcome[name] = "stopped"

    threads = [threading.Thread(target=work, args=("slow", 0.2, 30)),
               threading.Thread(target=work, args=("quick", 5, 0.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcome == {"slow": "stopped", "quick": "done"}


def test_a_deadline_centuries_away_neither_kills_the_watchdog_nor_stops_the_block():
    # --nlp_story_seconds 1e308 is finite and allowed: the watchdog's wait
    # for it overflowed the lock's timeout, and its thread died with a
    # traceback on stderr.
    from transforms.nlp import guard

    with rule_deadline(1e308):
        time.sleep(0.2)
        assert guard._WATCHDOG._thread.is_alive()
    with pytest.raises(StoryTimeout):
        with rule_deadline(0.1):
            while True:
                pass


def test_a_block_that_ends_in_time_is_never_interrupted_later():
    with rule_deadline(0.05):
        total = sum(range(1000))
    # the timer is cancelled on the way out: nothing arrives afterwards
    for _ in range(2_000_000):
        total += 1
    assert total == 499500 + 2_000_000


# --- The handler and the composite -------------------------------------------------

@pytest.fixture(scope="module")
def model(nlp):
    """The test's spaCy pipeline with the rules' word lists built, as a
    worker's is when it loads the model (building them takes seconds on a
    busy machine, which would count against the first story's time)."""
    warm_caches()
    return nlp


def expected(nlp, s) -> Extraction:
    """What extraction gives a story on its own, without any guard."""
    return extract(s, nlp(model_text(s)))


def big_story() -> tuple[Story, int, int]:
    """A 3 MB story with a sentence deep in it and one near its end."""
    text, deep_at = with_sentence_at(prose(MB3), 50_000, DEEP)
    text, far_at = with_sentence_at(text, 2_500_000, "Boris Johnson visited Nairobi.\n\n")
    return raw_story("big", text, title="A long one"), deep_at, far_at


def story_or_big(element):
    # The 3 MB story is made inside the pipeline: given to beam.Create it
    # would be pickled into the pipeline (bz2, seconds per copy).
    return big_story()[0] if element == "big" else element


def test_a_3mb_story_beside_normal_ones(nlp, beam_pipeline):
    big, deep_at, far_at = big_story()
    text = big.body
    normal = normal_stories()
    # small limits keep the test short: the pieces and the cut work alike
    limits = Limits(chunk_chars=20_000, max_chars=70_000)
    want = {s.story_id: expected(nlp, s) for s in normal}

    def check(found):
        by_id = {e.story_id: e for _, e in found}
        assert set(by_id) == {"big", *want}
        for story_id, extraction in want.items():
            assert by_id[story_id] == extraction  # exactly as without the big one
        got = by_id["big"]
        body_entities = [e for e in got.entities if e.field == "body"]
        assert all(text[e.start_char:e.end_char] == e.text for e in body_entities)
        assert all(text[q.start_char:q.end_char] == q.quote for q in got.quotes)
        found_at = {(e.text, e.start_char, e.end_char) for e in body_entities}
        for name in ("Jacinda Ardern", "Olaf Scholz", "Wellington"):  # in the third piece
            start = deep_at + DEEP.index(name)
            assert (name, start, start + len(name)) in found_at
        assert max(e.start_char for e in body_entities) > 2 * limits.chunk_chars
        assert all(e.start_char < limits.max_chars for e in body_entities)
        assert far_at > limits.max_chars and "Boris Johnson" not in {e.text for e in got.entities}

    def check_dead(dead):
        assert [(d.stage, d.error, d.ref) for d in dead] == [("extract", "StoryTruncated", "big")]
        message = dead[0].message
        assert "\n" not in message
        assert f"{len('A long one') + 2 + len(text):,} characters" in message
        assert "--nlp_max_chars 70,000" in message and "not read" in message

    with beam_pipeline as p:
        found, dead = (p | beam.Create(normal + ["big"]) | beam.Map(story_or_big)
                       | Extract(resolve_model("en_core_web_sm"), "run", batch_size=4,
                                 limits=limits))
        assert_that(found, check, label="found")
        assert_that(dead, check_dead, label="dead")


def test_pathological_text_does_not_hold_up_the_batch(nlp, beam_pipeline):
    # Without the blanking, 20,000 ")" alone keep spaCy's tokenizer busy for
    # minutes; a pasted base64 image is thousands of tokens of nothing.
    parens = raw_story("parens", "Tim Cook spoke in Cupertino. " + ")" * 20_000
                   + "\n\nAngela Merkel replied from Berlin.")
    blob = raw_story("blob", "Officials in Geneva said a picture was attached.\n\n"
                 + "iVBORw0KGgoAAAANSUhEUgAA+/" * 20_000 + "\n\nBoris Johnson did not comment.")
    # Two thousand quotations and no full stop: one sentence of 12,000
    # tokens to the parser, and over a minute of quote rules (more than the
    # 20 s allowed here), unless the sentence is cut: then about a second.
    quotes = raw_story("quotes", 'Protesters chanted slogans for hours. "We want work" '
                       + '"a b c d" ' * 2000)
    normal = normal_stories()
    want = {s.story_id: expected(nlp, s) for s in normal}

    def check(found):
        by_id = {e.story_id: e for _, e in found}
        assert set(by_id) == {"parens", "blob", "quotes", *want}
        for story_id, extraction in want.items():
            assert by_id[story_id] == extraction
        for s, name in ((parens, "Angela Merkel"), (blob, "Boris Johnson")):
            start = s.body.index(name)
            assert (name, start, start + len(name)) in {
                (e.text, e.start_char, e.end_char) for e in by_id[s.story_id].entities}
        found_quotes = by_id["quotes"].quotes
        assert found_quotes and all(
            quotes.body[q.start_char:q.end_char] == q.quote for q in found_quotes)

    with beam_pipeline as p:
        found, dead = (p | beam.Create(normal + [parens, blob, quotes])
                       | Extract(resolve_model("en_core_web_sm"), "run", batch_size=8,
                                 limits=Limits(seconds=20)))
        assert_that(found, check, label="found")
        assert_that(dead, equal_to([]), label="dead")


def test_a_story_whose_rules_overrun_is_a_dead_letter_and_the_rest_is_extracted(model):
    nlp = model
    # Thousands of short quotations in one sentence with no full stop: the
    # quote rules look at the whole sentence for each quotation (quotes.py,
    # quotations x sentence tokens), ~6 s on these 10,000 characters with
    # the session's pipeline, which has no sentence cap to split it.
    assert SENTENCE_CAP not in nlp.pipe_names
    slow = raw_story("slow", '"a b c d" ' * 1000)
    normal = normal_stories()
    handler = SpacyModelHandler("unused", limits=Limits(seconds=3))
    results = {r.example.story_id: r.inference
               for r in handler.run_inference(normal + [slow], nlp)}
    failed = results["slow"]
    assert isinstance(failed, ExtractionFailed) and failed.error == "StoryTimeout"
    assert "more than 3 s (--nlp_story_seconds)" in failed.message
    assert "10,000 characters" in failed.message
    for s in normal:
        assert results[s.story_id] == expected(nlp, s)


def test_a_long_story_that_overruns_stops_between_pieces(model):
    big = raw_story("big", prose(200_000))
    limits = Limits(chunk_chars=20_000, seconds=0.5)  # parsing one piece takes longer
    handler = SpacyModelHandler("unused", limits=limits)
    [result] = handler.run_inference([big], model)
    failed = result.inference
    assert isinstance(failed, ExtractionFailed) and failed.error == "StoryTimeout"
    pieces = len(plan(big, limits).pieces)
    read = int(re.search(rf"(\d+) of {pieces} pieces", failed.message).group(1))
    assert read < pieces


# --- End to end --------------------------------------------------------------------

def test_wirestream_run_over_an_archive_with_a_3mb_entry(tmp_path):
    """An archived story with a pasted 3 MB image in its body: the run
    finishes, the story is stored whole, its prose is extracted, a dead
    letter says what was not read, and every count reconciles."""
    lead = ("Angela Merkel arrived in Paris on Monday for talks with Emmanuel Macron, "
            "officials said.\n\n")
    image = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==" * 30_000
    body = lead + image[:MB3] + "\n\nThe talks ended on Tuesday."
    archive = tmp_path / "archive.jsonl"
    lines = (SAMPLE / "archive.jsonl").read_text().splitlines()
    lines.append(json.dumps({"id": "huge", "title": "Merkel in Paris", "body": body,
                             "published": "2026-03-01T10:00:00Z", "source": "test"}))
    archive.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"

    assert main(["run", "--articles", str(archive), "--output", str(out)]) == 0

    [manifest] = manifests(out)
    assert_conserved(manifest)
    assert manifest["stages"]["extract"]["in"] == manifest["stages"]["extract"]["stories"] + \
        manifest["stages"]["extract"]["failed"] + manifest["stages"]["extract"]["skipped_language"]
    assert manifest["counters"]["nlp_truncated"] == 1
    [(stored,)] = sql(out, "select length(body) from {stories} where story_id = 'huge'")
    assert stored == len(body)
    assert sql(out, "select stage, error, ref from {dead_letters}") == [
        ("extract", "StoryTruncated", "huge")]
    merkel = sql(out, "select start_char, end_char, substr(s.body, start_char + 1, "
                      "end_char - start_char) from {entities} e join {stories} s using "
                      "(story_id) where story_id = 'huge' and e.text = 'Angela Merkel' "
                      "and field = 'body'")
    assert merkel == [(0, 13, "Angela Merkel")]


@pytest.mark.parametrize("flags, line", [
    (["--nlp_chunk_chars", "500"], "--nlp_chunk_chars must be between 1000 and 1000000"),
    (["--nlp_chunk_chars", "60000", "--nlp_max_chars", "50000"],
     "--nlp_max_chars must be at least --nlp_chunk_chars"),
    (["--nlp_story_seconds", "0"], "--nlp_story_seconds must be a finite number above 0, not 0.0"),
])
def test_limits_that_make_no_sense_exit_2_with_one_line(tmp_path, capsys, flags, line):
    assert main(["run", "--articles", str(SAMPLE / "archive.jsonl"),
                 "--output", str(tmp_path / "out"), *flags]) == 2
    assert capsys.readouterr().err.splitlines() == [f"wirestream: {line}"]


def test_the_limits_given_on_the_command_line_reach_the_stage():
    from pipeline.config import parse_run_args

    config = parse_run_args(["--articles", str(SAMPLE / "archive.jsonl"), "--output", "/tmp/x",
                           "--nlp_chunk_chars", "20000", "--nlp_max_chars", "400000",
                           "--nlp_story_seconds", "30"])
    assert config.nlp_limits == Limits(chunk_chars=20_000, max_chars=400_000, seconds=30)
