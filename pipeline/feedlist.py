"""Reading the operator's feed list: YAML (contract format) or OPML.

Errors are ConfigError with a one-line message naming the file and the
problem, raised before any pipeline is built. A feed list is data: YAML is
read with PyYAML's safe loader (a `!!python/...` tag is refused, nothing is
evaluated), OPML through defusedxml, and a key nobody reads, or one given
twice, is an error rather than a setting silently ignored.

`allow_private: true` on a feed (OPML: `allowPrivate="true"`) lets its host
be on a loopback or private address; see transforms/fetch/addresses.py.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import yaml
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from pipeline.errors import ConfigError, one_line, say
from schemas.records import FeedSpec

LIST_KEYS = {"feeds"}
FEED_KEYS = {"url", "source", "language", "allow_private"}


def load_feed_list(path: str) -> list[FeedSpec]:
    """Feeds named by a YAML or OPML file (chosen by extension)."""
    file = Path(path)
    if file.is_dir():
        raise ConfigError(f"{path}: is a folder; give a feed list file (.yaml, .yml or .opml)")
    if not file.is_file():
        raise ConfigError(f"feed list not found: {path}")
    suffix = file.suffix.lower()
    if suffix in (".yaml", ".yml"):
        specs = _from_yaml(file)
    elif suffix in (".opml", ".xml"):
        specs = _from_opml(file)
    else:
        raise ConfigError(f"{path}: feed list must be .yaml, .yml or .opml")
    if not specs:
        raise ConfigError(f"{path}: the feed list names no feeds")
    return unique_feeds(specs)


def resolve_location(url: str, base: Path, where: str) -> str:
    """An http(s)/file URL as given; a local path made absolute against the
    feed list's folder, so a list works from any working directory."""
    try:
        scheme = urlparse(url).scheme.lower()
    except ValueError as err:  # "Invalid IPv6 URL"
        raise ConfigError(f"{where}: invalid URL {url}: {err}") from None
    if scheme in ("http", "https", "file"):
        return url
    if scheme and len(scheme) > 1:
        raise ConfigError(f"{where}: unsupported URL scheme {scheme!r}: {url}")
    path = Path(url).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


class _DataLoader(yaml.SafeLoader):
    """The safe loader, also refusing a key given twice in one mapping
    (PyYAML keeps the last silently, so one of two `url:` lines would vanish)."""


def _unique_keys(loader: _DataLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _value in node.value:
        # Merge keys (<<: *defaults) are meant to be overridden; other keys
        # are compared as written, which is all a feed list's keys are.
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
            continue
        key = (key_node.tag, key_node.value)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key_node.value!r} given twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_DataLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_keys)


def _from_yaml(file: Path) -> list[FeedSpec]:
    try:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=_DataLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(err, "problem", None) or one_line(err)
        if isinstance(err, yaml.constructor.ConstructorError):
            raise ConfigError(f"{file}: refused YAML{where}: {problem}") from None
        raise ConfigError(f"{file}: invalid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{file}: expected a mapping with one key, 'feeds'")
    _check_keys(f"{file}", document, LIST_KEYS)
    if "feeds" not in document:
        raise ConfigError(f"{file}: expected a mapping with one key, 'feeds'")
    feeds = document["feeds"]
    if not isinstance(feeds, list):
        raise ConfigError(f"{file}: 'feeds' must be a list")
    return [_yaml_feed(file, number, item) for number, item in enumerate(feeds, 1)]


def _yaml_feed(file: Path, number: int, item) -> FeedSpec:
    where = f"{file}: feed {number}"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with url and source")
    _check_keys(where, item, FEED_KEYS)
    for key in ("url", "source"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ConfigError(f"{where}: '{key}' is required and must be a string")
    language = item.get("language")
    if language is not None and not isinstance(language, str):
        raise ConfigError(f"{where}: 'language' must be a string")
    allow_private = item.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{where}: 'allow_private' must be true or false")
    return FeedSpec(url=resolve_location(item["url"].strip(), file.parent, where),
                    source=item["source"].strip(),
                    language=language.strip().lower() if language else None,
                    allow_private=allow_private)


def _check_keys(where: str, mapping: dict, allowed: set[str]) -> None:
    unknown = set(map(str, mapping)) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}"
                          f" (allowed: {', '.join(sorted(allowed))})")


def _from_opml(file: Path) -> list[FeedSpec]:
    try:
        root = ElementTree.parse(str(file)).getroot()
    except ElementTree.ParseError as err:
        raise ConfigError(f"{file}: invalid OPML: {err}") from None
    except DefusedXmlException as err:
        raise ConfigError(f"{file}: refused OPML: {type(err).__name__}") from None
    if root.tag != "opml":
        raise ConfigError(f"{file}: not OPML (root element is <{root.tag}>)")
    specs = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            if (outline.get("type") or "").strip().lower() in ("rss", "atom"):
                name = outline.get("title") or outline.get("text") or ""
                raise ConfigError(f"{file}: outline {name!r} is a feed with no xmlUrl")
            continue  # a folder of feeds, not a feed
        source = (outline.get("title") or outline.get("text") or "").strip() \
            or urlparse(url).netloc or Path(url).stem
        language = outline.get("language")
        allow_private = (outline.get("allowPrivate") or "false").strip().lower()
        if allow_private not in ("true", "false"):
            raise ConfigError(f"{file}: outline {url}: allowPrivate must be true or false")
        specs.append(FeedSpec(url=resolve_location(url, file.parent, f"{file}: outline {url}"),
                              source=source,
                              language=language.strip().lower() if language else None,
                              allow_private=allow_private == "true"))
    return specs


def unique_feeds(specs: list[FeedSpec]) -> list[FeedSpec]:
    """Each URL once: a feed listed twice is fetched once, under its first
    name; listed under another name too, a line on stderr says which won
    (several lists may name one feed, so it is no error)."""
    first: dict[str, FeedSpec] = {}
    for spec in specs:
        kept = first.setdefault(spec.url, spec)
        if kept.source != spec.source:
            say(f"feed {spec.url} is listed as {kept.source!r} and as {spec.source!r}: "
                f"fetched once, as {kept.source!r}")
    return list(first.values())
