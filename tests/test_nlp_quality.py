"""Quality floors of the extraction, measured on the evaluation corpora by the
benchmark scripts (benchmarks/eval_ner.py, eval_relations.py, eval_coref.py,
eval_quotes.py, eval_news_relations.py, eval_relation_precision.py):
each runs the real `wirestream run --articles` on an archive made from the
corpus and scores the tables it wrote.

The floors sit a little below the figures measured when they were set, so a
change that makes extraction worse fails here. The full valid sets are small
enough to run whole (about 35 s on 2 cores; the bare-spaCy baseline is left
to the scripts). Skips when ../shared/data (or $WIRESTREAM_DATA) is absent.
"""

import pytest

from tests.conftest import shared_data

pytestmark = pytest.mark.filterwarnings("ignore")


def test_ner_mention_f1_on_conll2003_valid():
    shared_data("conll2003", "valid.txt")
    from benchmarks.eval_ner import evaluate

    results = evaluate(bare=False)
    # measured 0.792; 0.773 on CoNLL-2003 train, the held-out check (bare
    # en_core_web_sm: 0.646)
    assert results["pipeline"]["mention"][2] >= 0.78


def test_typed_relation_f1_on_conll04_valid():
    shared_data("conll04", "valid.CoNLL04.json")
    from benchmarks.eval_relations import evaluate

    results = evaluate()
    # measured 0.506 exact names, 0.528 with gold titles set aside as the
    # contract sets them aside, 0.590 lenient (0.440 / 0.462 / 0.532 before
    # the rules of issue 13 part 3; train, the held-out check, 0.397 -> 0.407)
    assert results["strict"]["f"][2] >= 0.49
    assert results["titles"]["f"][2] >= 0.51
    assert results["lenient"]["f"][2] >= 0.57


def test_canonical_grouping_and_quote_speakers_on_gum_wikinews():
    shared_data("gum-wikinews", "dep")
    from benchmarks.eval_coref import evaluate

    results = evaluate(quotes=True)
    # measured pairwise F1 0.942, B-cubed F1 0.966; exact-text grouping 0.815
    assert results["entity_id"]["pairwise"][2] >= 0.91
    assert results["entity_id"]["bcubed"][2] >= 0.95
    assert results["entity_id"]["pairwise"][2] > results["exact text"]["pairwise"][2]
    # measured 55 of 66 hand-checked quotes
    assert results["quotes"]["right"] >= 52


def test_quote_speakers_on_hand_labelled_reuters_and_gum_stories():
    shared_data("reuters21578", "sgm-data")
    shared_data("gum-wikinews", "dep")
    from benchmarks.eval_quotes import evaluate

    results = evaluate()
    # measured (230 labelled quotations): recall 0.974; speaker accuracy dev
    # 0.921, held-out 0.878; speaker precision 0.958 (0.819 / 0.897 before
    # the attribution rules of eval_quotes' first round; recall 0.983 and
    # held-out 0.880 before scare-quoted names stopped being quotations: two
    # quoted web site names the labels count as quotations)
    assert results["all"]["recall"] >= 0.96
    assert results["dev"]["speaker_accuracy"] >= 0.89
    assert results["heldout"]["speaker_accuracy"] >= 0.85
    assert results["all"]["speaker_precision"] >= 0.93


def test_typed_relations_on_hand_labelled_news_stories():
    shared_data("reuters21578", "sgm-data")
    shared_data("gum-wikinews", "dep")
    shared_data("semeval2022-sample", "training_set.csv")
    shared_data("conll2003", "train.txt")
    from benchmarks.eval_news_relations import evaluate

    results = evaluate()
    groups = results["groups"]
    original, wikinews, semeval = groups["original"], groups["wikinews"], groups["semeval"]
    flat, conll = groups["semeval_flat"], groups["conll2003"]
    # measured on the 64 stories of eval_quotes (283 labels): dev P 0.949
    # R 0.796 (0.790 / 0.568 before the rules tuned on it, 0.937 / 0.739
    # before the entity rules of name_bounds); held-out P 0.741 R 0.454
    # (P 0.750 before the four rules tuned on the flat SemEval set)
    # (0.593 / 0.362 before any rule of issue 13; 0.631 / 0.383 before "X
    # of the Y Party" was made member_of, a rule taken from the issue's
    # text after its held-out errors had been read).
    assert original["dev"]["overall"]["p"] >= 0.92
    assert original["dev"]["overall"]["r"] >= 0.76
    assert original["heldout"]["overall"]["p"] >= 0.72
    assert original["heldout"]["overall"]["r"] >= 0.43
    # measured on the 81 bundled Wikinews stories (174 labels): dev P 0.913
    # R 0.581 (0.894 / 0.581 before the judged pool's rules, 0.864 / 0.527
    # before the entity rules), held-out P 0.804 R 0.490 (0.726 / 0.490
    # before the pool's rules, 0.705 / 0.460 before the entity rules)
    assert wikinews["dev"]["overall"]["p"] >= 0.84
    assert wikinews["dev"]["overall"]["r"] >= 0.54
    assert wikinews["heldout"]["overall"]["p"] >= 0.68
    assert wikinews["heldout"]["overall"]["r"] >= 0.45
    # measured on 80 SemEval-2022 articles as sites published them (194
    # labels), each batch of 40 first scored blind: P 0.806 R 0.319 and
    # P 0.571 R 0.330. After the rules tuned on its dev half: dev P 0.853
    # R 0.381, held-out P 0.625 R 0.318; after the judged pool's rules dev
    # P 0.914 R 0.417, held-out P 0.667 R 0.309
    assert semeval["dev"]["overall"]["p"] >= 0.82
    assert semeval["dev"]["overall"]["r"] >= 0.36
    assert semeval["heldout"]["overall"]["p"] >= 0.60
    assert semeval["heldout"]["overall"]["r"] >= 0.30
    # measured on 60 SemEval-2022 articles scraped flat (59 labels), first
    # scored blind as a whole: P 0.600 R 0.373 (dev P 0.565 R 0.636,
    # held-out P 0.667 R 0.216). After the rules tuned on its dev half
    # (meets between people, no student works_for, no handle, "the X
    # neighborhood of Y"): dev P 0.750 R 0.727, held-out P 0.667 R 0.216
    assert flat["dev"]["overall"]["p"] >= 0.70
    assert flat["dev"]["overall"]["r"] >= 0.68
    assert flat["heldout"]["overall"]["p"] >= 0.58
    assert flat["heldout"]["overall"]["r"] >= 0.18
    # measured on 60 Reuters stories of CoNLL-2003 (193 labels), first
    # scored blind as a whole: P 0.701 R 0.389 (dev P 0.745 R 0.327,
    # held-out P 0.667 R 0.465). After the rules tuned on its dev half (a
    # title won is no office, a relative's office is not the person's,
    # results named by a noun, "X and Y met") and one label given its
    # written-out name: dev P 0.891 R 0.393, held-out P 0.683 R 0.477 (P
    # 0.690 R 0.465 after the judged pool's rules)
    assert conll["dev"]["overall"]["p"] >= 0.85
    assert conll["dev"]["overall"]["r"] >= 0.36
    assert conll["heldout"]["overall"]["p"] >= 0.64
    assert conll["heldout"]["overall"]["r"] >= 0.44
    # all groups, held-out: P 0.735 R 0.420 (0.731 / 0.411 before the
    # travel verbs, 0.706 / 0.416 before the rules tuned on the judged
    # pool's dev half, 0.703 / 0.416 before the CoNLL-2003 group), short of
    # issue 13's 0.80 at 0.40
    assert results["heldout"]["overall"]["p"] >= 0.71
    assert results["heldout"]["overall"]["r"] >= 0.40


def test_typed_relation_precision_on_the_judged_pool_of_fresh_news():
    shared_data("reuters21578", "sgm-data")
    shared_data("semeval2022-sample", "training_set.csv")
    shared_data("conll2003", "valid.txt")
    from benchmarks.eval_relation_precision import evaluate

    pool = evaluate()["all"]
    dev, heldout = pool["dev"]["*"], pool["heldout"]["*"]
    # measured on 240 fresh stories, every predicted triple judged by two
    # annotators (296 of 300 alike): dev P 0.703 (97/138), held-out P 0.728
    # (118/162) before the rules tuned on the dev half's errors, dev 0.897,
    # held-out 0.753 after them. 196 more stories, judged blind under those
    # rules (230 of 231 alike): dev 0.632, held-out 0.769. All 436 after the
    # second round of rules: dev P 0.852 (179/210), held-out 0.763 (209/274)
    for split, counts, floor in (("dev", dev, 0.82), ("heldout", heldout, 0.73)):
        judged = counts["right"] + counts["wrong"]
        # a rule change that writes new triples leaves them unjudged: judge
        # them (eval_relation_precision --dump) before trusting the figure
        assert counts["unjudged"] <= 0.1 * judged, f"{split}: judge the new triples"
        assert counts["right"] / judged >= floor, split
