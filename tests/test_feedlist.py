from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.feedlist import load_feed_list
from tests.conftest import SAMPLE


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_bundled_yaml_and_opml_name_the_same_feeds():
    from_yaml = load_feed_list(str(SAMPLE / "feeds.yaml"))
    from_opml = load_feed_list(str(SAMPLE / "feeds.opml"))
    assert [(f.url, f.source) for f in from_yaml] == [(f.url, f.source) for f in from_opml]
    assert {f.source for f in from_yaml} == {"wikinews-world", "wikinews-science",
                                             "example-syndicator"}
    # Relative paths are resolved against the list's folder, so the list
    # works from any working directory.
    assert all(Path(f.url).is_absolute() and Path(f.url).is_file() for f in from_yaml)


def test_yaml_urls_keep_their_scheme_and_language_hint(tmp_path, capsys):
    path = write(tmp_path, "f.yaml", """
feeds:
  - url: https://example.org/rss.xml
    source: example
    language: EN
  - url: file:///srv/feeds/a.xml
    source: local
  - url: https://example.org/rss.xml
    source: listed-twice
""")
    feeds = load_feed_list(path)
    assert [(f.url, f.source, f.language) for f in feeds] == [
        ("https://example.org/rss.xml", "example", "en"),
        ("file:///srv/feeds/a.xml", "local", None)]
    # The second name is not silently dropped: stderr says which one won.
    assert capsys.readouterr().err.splitlines() == [
        "wirestream: feed https://example.org/rss.xml is listed as 'example' and as "
        "'listed-twice': fetched once, as 'example'"]


@pytest.mark.parametrize("text, message", [
    ("feeds:\n  - url: http://a/x\n    source: a\n    color: red\n", "unknown key(s) color"),
    ("feeds:\n  - url: http://a/x\n", "'source' is required"),
    ("feeds: [\n", "invalid YAML"),
    ("- url: http://a/x\n", "expected a mapping with one key, 'feeds'"),
    ("feeds: []\n", "names no feeds"),
    ("feeds:\n  - url: ftp://a/x\n    source: a\n", "feed 1: unsupported URL scheme 'ftp'"),
    # urlparse's own error, once followed by a hint about gs:// and s3://
    ("feeds:\n  - url: http://a/x\n    source: a\n  - url: 'http://[::1'\n    source: b\n",
     "feed 2: invalid URL http://[::1: Invalid IPv6 URL"),
])
def test_bad_yaml_is_one_clear_line(tmp_path, text, message):
    path = write(tmp_path, "feeds.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_feed_list(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_opml_and_missing_or_unknown_files(tmp_path):
    with pytest.raises(ConfigError, match="invalid OPML"):
        load_feed_list(write(tmp_path, "a.opml", "<opml><body><outline"))
    with pytest.raises(ConfigError, match="not OPML"):
        load_feed_list(write(tmp_path, "b.opml", "<rss/>"))
    with pytest.raises(ConfigError, match="refused OPML"):
        load_feed_list(write(tmp_path, "c.opml", '<!DOCTYPE x [<!ENTITY a "aaaa">'
                                                 ' <!ENTITY b "&a;&a;&a;">]><opml>&b;</opml>'))
    with pytest.raises(ConfigError, match="feed list not found"):
        load_feed_list(str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="is a folder; give a feed list file"):
        load_feed_list(str(tmp_path))
    with pytest.raises(ConfigError, match="must be .yaml, .yml or .opml"):
        load_feed_list(write(tmp_path, "feeds.txt", "x"))
    # A feed outline whose URL is missing is an error, not a folder skipped.
    with pytest.raises(ConfigError, match="outline 'Wire' is a feed with no xmlUrl"):
        load_feed_list(write(tmp_path, "d.opml", '<opml><body><outline type="rss" text="Wire"/>'
                                                 '</body></opml>'))


def test_opml_folders_are_walked_and_titles_become_sources(tmp_path):
    path = write(tmp_path, "list.opml", """<?xml version="1.0"?>
<opml version="2.0"><body>
  <outline text="News">
    <outline type="rss" text="World" xmlUrl="https://example.org/world.xml"/>
    <outline type="rss" title="Tech" text="t" xmlUrl="https://example.org/tech.xml"/>
  </outline>
</body></opml>""")
    assert [(f.url, f.source) for f in load_feed_list(path)] == [
        ("https://example.org/world.xml", "World"), ("https://example.org/tech.xml", "Tech")]


# --- configuration is data ----------------------------------------------------

def test_unknown_keys_at_any_level_are_named_with_the_file(tmp_path):
    top = write(tmp_path, "top.yaml", "feeds:\n  - url: http://a/x\n    source: a\nproxy: x\n")
    with pytest.raises(ConfigError) as err:
        load_feed_list(top)
    assert str(err.value) == f"{top}: unknown key(s) proxy (allowed: feeds)"
    nested = write(tmp_path, "nested.yaml",
                   "feeds:\n  - url: http://a/x\n    source: a\n    headers: {X-Token: s3cret}\n")
    with pytest.raises(ConfigError) as err:
        load_feed_list(nested)
    assert str(err.value).startswith(f"{nested}: feed 1: unknown key(s) headers (allowed: ")
    assert "s3cret" not in str(err.value)


def test_python_tags_are_refused_and_nothing_is_evaluated(tmp_path):
    marker = tmp_path / "evaluated"
    for number, tag in enumerate(("!!python/object/apply:os.system", "!!python/object/new:os.system")):
        path = write(tmp_path, f"tag{number}.yaml",
                     f"feeds:\n  - url: {tag} ['touch {marker}']\n    source: a\n")
        with pytest.raises(ConfigError) as err:
            load_feed_list(path)
        assert str(err.value).startswith(f"{path}: refused YAML (line 2): could not determine "
                                         "a constructor for the tag")
        assert "\n" not in str(err.value)
    assert not marker.exists()


def test_a_key_given_twice_is_refused_not_silently_overwritten(tmp_path):
    path = write(tmp_path, "twice.yaml", "feeds:\n  - url: http://a/x\n    source: a\n"
                                         "    url: http://b/y\n")
    with pytest.raises(ConfigError) as err:
        load_feed_list(path)
    assert str(err.value) == f"{path}: refused YAML (line 4): key 'url' given twice"
    # A merge key's values are there to be overridden: that is no repeat.
    merged = write(tmp_path, "merged.yaml", "feeds:\n  - &base {url: http://a/x, source: a, "
                                            "language: de}\n  - <<: *base\n    url: http://b/y\n")
    assert [(f.url, f.source, f.language) for f in load_feed_list(merged)] == [
        ("http://a/x", "a", "de"), ("http://b/y", "a", "de")]


def test_a_bad_feed_list_exits_2_with_one_line(tmp_path, capsys):
    from pipeline.cli import main
    path = write(tmp_path, "feeds.yaml", "feeds:\n  - url: http://a/x\n    source: a\n    colour: red\n")
    assert main(["run", "--feeds", path, "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown key(s) colour" in err and path in err
    assert not (tmp_path / "out").exists()


def test_a_feed_opts_its_host_in_to_private_addresses(tmp_path):
    path = write(tmp_path, "f.yaml", """
feeds:
  - url: http://news.intranet.example/rss
    source: intranet
    allow_private: true
  - url: https://example.org/rss
    source: public
""")
    assert [(f.source, f.allow_private) for f in load_feed_list(path)] == [
        ("intranet", True), ("public", False)]
    with pytest.raises(ConfigError, match="'allow_private' must be true or false"):
        load_feed_list(write(tmp_path, "g.yaml",
                             "feeds:\n  - url: http://a/x\n    source: a\n    allow_private: 'yes'\n"))
    opml = write(tmp_path, "list.opml", """<opml version="2.0"><body>
  <outline text="Intranet" xmlUrl="http://news.intranet.example/rss" allowPrivate="true"/>
  <outline text="Public" xmlUrl="https://example.org/rss"/>
</body></opml>""")
    assert [(f.source, f.allow_private) for f in load_feed_list(opml)] == [
        ("Intranet", True), ("Public", False)]
