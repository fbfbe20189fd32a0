"""Near-duplicate building blocks (transforms/dedup: furniture, minhash, verify,
clusters), without Beam.

Texts: the bundled Wikinews sample (CC BY 2.5) and hand-written wire-style
snippets.
"""

import json
import random
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, SAMPLE
from transforms.dedup.clusters import ClusterMember, assign_clusters, cluster_batch, rank_key
from transforms.dedup.furniture import dedup_text
from transforms.dedup.minhash import BANDS, NUM_PERM, MinHasher, band_keys, shingles
from transforms.dedup.verify import (
    MIN_SHINGLES,
    containment,
    estimate_containment,
    is_near_duplicate,
    is_near_duplicate_text,
    jaccard,
    near_duplicate_edges,
    tolerant_containment,
)


@pytest.fixture(scope="module")
def articles():
    """The five Wikinews stories of the sample archive, by short name."""
    out = {}
    for line in (SAMPLE / "archive.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        out[record["id"].split(":")[1]] = record
    return out


def paragraphs(record):
    return [p for p in record["body"].split("\n\n") if p.strip()]


def syndicated_copy(record, keep=0.7):
    """An outlet's copy: furniture around the first `keep` of the paragraphs."""
    paras = paragraphs(record)
    kept = paras[:max(1, int(len(paras) * keep))]
    lines = ["Home | World | Europe", "By Reuters Staff", "Updated 3 hours ago",
             "BRUSSELS (Reuters) - " + kept[0],
             "A view of the scene. REUTERS/Jane Doe/File Photo", "Advertisement"]
    lines += kept[1:]
    lines += ["Read more: Other headline of the day", "Share this article",
              "Reporting by Jane Doe; Editing by John Roe",
              "© 2024 Example Media / AFP / Getty Images",
              "Sign up for our daily newsletter"]
    return "\n\n".join(lines)


# --- dedup_text ------------------------------------------------------------------

def test_furniture_bylines_captions_and_dateline_are_removed():
    body = "\n".join([
        "Home | World | Europe",
        "By Jane Doe and John Roe, Reuters",
        "Updated 3 hours ago",
        "BRUSSELS (Reuters) - The European Union agreed on Tuesday to extend sanctions.",
        "Advertisement",
        "A man walks past the Berlaymont, March 3, 2020. REUTERS/Yves Herman/File Photo",
        "(Photo: Jane Doe/Reuters)",
        "Image: Getty Images",
        "© 2024 Example Media / AFP / Getty Images",
        "The measures will be reviewed in six months, officials said.",
        "Read more: EU leaders meet in Brussels",
        "Related: Another headline",
        "Share this article",
        "Sign up for our daily newsletter",
        "Reporting by Jane Doe; Editing by John Roe",
        "Our Standards: The Thomson Reuters Trust Principles.",
        "Copyright 2024 The Associated Press. All rights reserved.",
        "This material may not be published, broadcast, rewritten or redistributed.",
    ])
    assert dedup_text("Headline", body) == (
        "the european union agreed on tuesday to extend sanctions.\n"
        "the measures will be reviewed in six months, officials said.")


@pytest.mark.parametrize("line", [
    "A Reuters/Ipsos poll found 40 percent support.",
    "By the end of the year, the bloc will review the measures.",
    "Copyright infringement cases rose, the report said.",
    "Brazil's soybean harvest was 13 pct complete, the Safras e Mercado newsletter said.",
    "Updated figures show the economy grew 3 percent in the quarter.",
    "Shr 12 cts vs 10 cts",
])
def test_story_lines_that_resemble_furniture_are_kept(line):
    assert dedup_text("", line) == line.casefold()


@pytest.mark.parametrize("body, expected", [
    ("PARIS, March 3 (AFP) - Le texte.", "le texte."),
    ("NAIROBI, Kenya (AP) — Police said", "police said"),
    ("(CNN) Is it really New Year's Day", "is it really new year's day"),
    ("WASHINGTON - The Senate voted.", "the senate voted."),
    ("Officials in Paris said - again - no.", "officials in paris said - again - no."),
])
def test_leading_dateline_is_stripped(body, expected):
    assert dedup_text("", body) == expected


def test_title_is_the_text_when_no_body_remains():
    assert dedup_text("Oil Prices Rise", "") == "oil prices rise"
    assert dedup_text("Oil Prices Rise", "Advertisement\n\nShare this article") == \
        "oil prices rise"


# --- shingles and signatures ---------------------------------------------------------

def test_shingles_are_unique_sorted_and_stable_across_processes():
    text = "the quick brown fox jumps over the lazy dog and the quick brown fox jumps again"
    here = shingles(text)
    assert here.dtype == np.uint64 and len(here) == len(np.unique(here))
    assert (np.diff(here.astype(object)) > 0).all()
    code = ("import sys; sys.path.insert(0, %r); from transforms.dedup.minhash import shingles; "
            "print(shingles(%r).tolist())" % (str(REPO), text))
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={"PYTHONHASHSEED": "123"}, check=True)
    assert other.stdout.strip() == str(here.tolist())


def test_shingles_signatures_and_band_keys_are_pinned():
    """Stored signatures and band keys of earlier runs must stay comparable:
    a change here needs a migration of the stored state."""
    s = shingles("the quick brown fox jumps over the lazy dog")
    assert s.tolist()[:3] == [12213147785874916863, 13750038192570436814, 14655881514797013194]
    sig = MinHasher().signature(s)
    assert sig[:4].tolist() == [55036225, 54185665, 1266385, 369987831]
    assert band_keys(sig)[0] == "lsh:00:0347c941033acec1"


def test_short_texts_give_one_shingle_and_match_only_themselves():
    assert len(shingles("oil prices rise")) == 1
    assert shingles("oil prices rise")[0] == shingles("oil, prices  rise!")[0]
    assert not set(shingles("oil prices rise")) & set(
        shingles("oil prices rise sharply on monday"))
    assert len(shingles("")) == 0


def test_signatures_batch_equals_single_and_is_deterministic(articles):
    sets = [shingles(dedup_text(r["title"], r["body"])) for r in articles.values()]
    batch = MinHasher().signatures(sets + [np.empty(0, np.uint64)])
    for s, row in zip(sets, batch):
        assert row.dtype == np.uint32 and row.shape == (NUM_PERM,)
        assert np.array_equal(MinHasher().signature(s), row)
    assert (batch[-1] == 0xFFFFFFFF).all()
    assert not np.array_equal(MinHasher(seed=1).signature(sets[0]), batch[0])


def test_band_keys_of_a_copy_share_keys_with_the_original(articles):
    record = articles["iodine"]
    hasher = MinHasher()
    original = hasher.signature(shingles(dedup_text("", record["body"])))
    copy = hasher.signature(shingles(dedup_text("", syndicated_copy(record))))
    keys = band_keys(original)
    assert len(keys) == BANDS == len(set(keys))
    assert set(keys) & set(band_keys(copy))
    assert band_keys(np.full(NUM_PERM, 0xFFFFFFFF, np.uint32)) == []


# --- verification ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["defector", "hackers", "imprisoned", "asylum", "iodine"])
def test_truncated_syndicated_copy_is_a_near_duplicate(articles, name):
    record = articles[name]
    original = shingles(dedup_text(record["title"], record["body"]))
    copy = shingles(dedup_text("Other headline", syndicated_copy(record, keep=0.6)))
    assert containment(original, copy) >= 0.95
    assert jaccard(original, copy) < 0.8  # Jaccard alone would fall with the trim
    assert is_near_duplicate(original, copy)
    sigs = MinHasher().signatures([original, copy])
    assert abs(estimate_containment(sigs[0], len(original), sigs[1], len(copy))
               - containment(original, copy)) < 0.15
    assert near_duplicate_edges([original, copy])[0][:2] == (0, 1)


def test_unrelated_stories_are_not_near_duplicates(articles):
    sets = {n: shingles(dedup_text(r["title"], r["body"])) for n, r in articles.items()}
    for a in sets:
        for b in sets:
            if a < b:
                assert not is_near_duplicate(sets[a], sets[b]), (a, b)
    assert near_duplicate_edges(list(sets.values())) == []


def test_unknown_furniture_is_set_aside_but_a_shared_paragraph_is_not_enough(articles):
    record = articles["asylum"]
    paras = paragraphs(record)
    original = dedup_text("", record["body"])
    copy = dedup_text("", "\n\n".join(paras[:4] + [
        "We use cookies to give you the best experience on our website.",
        "Thanks for reading. Please consider supporting independent local journalism today."]))
    assert tolerant_containment(copy, original) == 1.0
    assert is_near_duplicate_text(copy, original)
    # A different story that borrows one paragraph stays apart.
    other = dedup_text("", "\n\n".join([paras[1]] + paragraphs(articles["hackers"])[:3]))
    assert not is_near_duplicate_text(other, original)


def test_templated_reports_with_other_figures_stay_apart():
    a = ("the treasury said it will sell 13.2 billion dlrs of three-month and six-month bills "
         "at its regular auction next monday.\nthe sale will raise about 600 mln dlrs in new cash.")
    b = ("the treasury said it will sell 12.8 billion dlrs of three-month and six-month bills "
         "at its regular auction next monday.\nthe sale will pay down about 400 mln dlrs.")
    assert not is_near_duplicate_text(a, b)


def test_tiny_texts_join_only_when_identical():
    a = shingles("qtly div 25 cts vs 25 cts prior")
    b = shingles("qtly div 25 cts vs 25 cts prior pay april one")
    assert len(a) < MIN_SHINGLES and not is_near_duplicate(a, b)
    assert is_near_duplicate(a, a.copy())


# --- clusters ------------------------------------------------------------------------------

def member(story_id, hour, stored=None, agency=False, size=0, day=1):
    return ClusterMember(story_id, rank_key(f"2026-11-{day:02d}T{hour:02d}:00:00+00:00", agency,
                                            story_id), stored, size)


def test_no_chaining_through_a_non_canonical_member():
    members = [member("A", 1), member("B", 2), member("C", 3)]
    edges = [("A", "B", 0.95), ("B", "C", 0.9)]  # A and C share little
    assert assign_clusters(members, edges) == {"A": "A", "B": "A", "C": "C"}


def test_member_joins_the_best_matching_canonical():
    members = [member("A", 1), member("X", 2), member("B", 3)]
    edges = [("A", "B", 0.85), ("X", "B", 0.97)]
    assert assign_clusters(members, edges) == {"A": "A", "X": "X", "B": "X"}


def test_agency_copy_wins_at_the_same_time_and_earliest_wins_otherwise():
    same_time = [member("outlet", 5), member("wire", 5, agency=True)]
    assert assign_clusters(same_time, [("outlet", "wire", 1.0)])["outlet"] == "wire"
    earlier = [member("outlet", 4), member("wire", 5, agency=True)]
    assert assign_clusters(earlier, [("outlet", "wire", 1.0)])["wire"] == "outlet"


def test_stored_cluster_id_is_stable_when_later_and_earlier_copies_arrive():
    stored = member("S", 5, stored="S0")  # stored duplicate of cluster S0
    new = [member("early", 1), member("late", 9)]
    edges = [("S", "early", 0.9), ("S", "late", 0.95), ("early", "late", 0.9)]
    assert assign_clusters([stored] + new, edges) == {"S": "S0", "early": "S0", "late": "S0"}


def test_a_teaser_and_the_full_copy_join_with_the_full_copy_canonical():
    members = [member("teaser", 1, size=40), member("full", 2, size=200)]
    assert assign_clusters(members, [("teaser", "full", 1.0)]) == {"teaser": "full", "full": "full"}
    # A copy not twice the earliest, or not containing it (an update, a
    # shortened earliest copy), leaves the earliest canonical.
    members = [member("first", 1, size=150), member("longer", 2, size=200)]
    assert assign_clusters(members, [("first", "longer", 1.0)])["longer"] == "first"
    members = [member("first", 1, size=40), member("other", 2, size=200)]
    assert assign_clusters(members, [("first", "other", 0.85)])["other"] == "first"


def test_two_excerpts_of_one_text_join_through_it():
    # Each excerpt is contained in the full text, not in each other; they
    # must share at least 120 + 130 - 200 = 50 shingles (0.42 of the smaller).
    members = [member("e1", 1, size=120), member("full", 2, size=200), member("e2", 3, size=130)]
    edges = [("e1", "full", 1.0), ("e2", "full", 1.0)]
    assert assign_clusters(members, edges) == {"e1": "e1", "full": "e1", "e2": "e1"}
    # The bridge (a teaser contained in both) comes last in rank order.
    members = [member("e1", 1, size=100), member("e2", 2, size=110), member("teaser", 3, size=60)]
    edges = [("e1", "teaser", 1.0), ("e2", "teaser", 1.0)]
    assert assign_clusters(members, edges) == {"e1": "e1", "e2": "e1", "teaser": "e1"}


def test_two_texts_contained_in_one_page_that_share_nothing_stay_apart():
    # b is a followed by c (two briefs on one page): a and c need share nothing.
    members = [member("a", 1, size=90), member("b", 2, size=150), member("c", 3, size=60)]
    edges = [("a", "b", 1.0), ("c", "b", 1.0)]
    assert assign_clusters(members, edges) == {"a": "a", "b": "a", "c": "c"}
    # Published first, the brief c joins the page, which (2.5 times c and
    # containing it) becomes canonical: sizes do not tell a page of briefs
    # from a full text. a still stays apart.
    members = [member("c", 1, size=60), member("b", 2, size=150), member("a", 3, size=90)]
    assert assign_clusters(members, edges) == {"c": "b", "b": "b", "a": "a"}


def test_template_stories_of_different_days_stay_apart():
    # One template filled on two days: 0.9 contained, four days apart.
    members = [member("monday", 9, size=60), member("friday", 9, size=60, day=5)]
    assert assign_clusters(members, [("monday", "friday", 0.9)]) == {"monday": "monday",
                                                                      "friday": "friday"}
    # Within three days they are verified copies (an update, a rerun) ...
    members = [member("monday", 9, size=60), member("wednesday", 9, size=60, day=3)]
    assert assign_clusters(members, [("monday", "wednesday", 0.9)])["wednesday"] == "monday"
    # ... and an exact copy joins at any distance.
    members = [member("monday", 9, size=60), member("friday", 9, size=60, day=5)]
    assert assign_clusters(members, [("monday", "friday", 1.0)])["friday"] == "monday"


def test_an_update_joins_its_original_as_before():
    # A verified update (0.85 of the original in it, a third longer) joins
    # the original, which stays canonical; an unverified one stays apart.
    members = [member("original", 1, size=120), member("update", 5, size=160),
               member("rewrite", 6, size=160)]
    assert assign_clusters(members, [("original", "update", 0.85)]) == {
        "original": "original", "update": "original", "rewrite": "rewrite"}


def test_a_fuller_copy_in_a_later_run_joins_the_stored_cluster_as_a_duplicate():
    stored = member("teaser", 1, stored="teaser", size=40)
    members = [stored, member("full", 2, size=400), member("excerpt", 3, size=150)]
    edges = [("teaser", "full", 1.0), ("excerpt", "full", 1.0)]
    # excerpt joins through full: 150 + 40 - 400 < 0 guaranteed overlap with
    # the stored teaser, so it does not; full is verified with the teaser.
    assert assign_clusters(members, edges) == {"teaser": "teaser", "full": "teaser",
                                               "excerpt": "excerpt"}


def test_clusters_do_not_depend_on_input_order():
    rng = random.Random(7)
    members = [member(f"s{i}", i % 7, size=rng.choice([0, 40, 80, 120, 200]), day=1 + i % 5)
               for i in range(30)] + [member("old", 3, stored="old", size=100)]
    ids = [m.story_id for m in members]
    edges = [(a, b, round(rng.uniform(0.8, 1.0), 2))
             for a in ids for b in ids if a < b and rng.random() < 0.15]
    expected = assign_clusters(members, edges)
    for _ in range(5):
        rng.shuffle(members)
        shuffled = [(b, a, c) if rng.random() < 0.5 else (a, b, c) for a, b, c in edges]
        rng.shuffle(shuffled)
        assert assign_clusters(members, shuffled) == expected
    assert expected["old"] == "old"
    for sid, cid in expected.items():  # every member sits with its own canonical
        assert expected[cid] == cid or cid == "old"
    assert len(set(expected.values())) < len(expected) - 5  # the rules were exercised


def test_cluster_batch_on_sample_copies(articles):
    records = list(articles.values())
    copies = [{"id": f"copy-{r['id']}", "title": "x", "body": syndicated_copy(r, 0.8),
               "published": "2026-11-02T00:00:00+00:00"} for r in records]
    stories = records + copies
    texts = [dedup_text(s["title"], s["body"]) for s in stories]
    sets = [shingles(t) for t in texts]
    edges = near_duplicate_edges(sets, texts=texts)
    ranks = [rank_key(s["published"], s in records, s["id"]) for s in stories]
    clusters = cluster_batch([s["id"] for s in stories], ranks, edges)
    for r in records:
        assert clusters[r["id"]] == r["id"] and clusters[f"copy-{r['id']}"] == r["id"]
