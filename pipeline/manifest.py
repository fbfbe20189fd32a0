"""The run manifest (counts per stage, in and out) and the printed summary.

Built from Beam counters only, so it is the same on every runner. The
`reconciliation` block is the promise that nothing is lost: each line is an
equation between what went into a stage and where it ended up.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline.config import RunConfig
from schemas.tables import FETCH_LOG, TABLES
from transforms.lake import paths


def _get(counts: dict, *names: str) -> int:
    return sum(counts.get(n, 0) for n in names)


def dead_by_stage(counts: dict) -> dict[str, int]:
    prefix = "dead_letters_"
    return {k[len(prefix):]: v for k, v in sorted(counts.items())
            if k.startswith(prefix)}


def reconciliation(counts: dict) -> dict[str, dict]:
    """Equations that must hold for a run that lost nothing."""
    dead = dead_by_stage(counts)
    checks = {
        # Every feed listed has exactly one fetch_log row.
        "feeds": (_get(counts, "feeds_in"), _get(counts, "rows_fetch_log")),
        # Every entry and archive line became a story or a dead letter.
        "records": (_get(counts, "entries_seen", "archive_lines"),
                    _get(counts, "stories_in", "entries_dead", "archive_dead")),
        # Every story is a new row, was stored by an earlier run, or is the
        # same story_id as one kept in this run.
        "stories": (_get(counts, "stories_in"),
                    _get(counts, "rows_stories", "stories_already_stored",
                         "stories_same_id_merged")),
        # Every canonical story was read by the model, failed (dead letter),
        # or is not in a language the model reads.
        "canonical": (_get(counts, "stories_canonical"),
                      _get(counts, "nlp_stories", "nlp_failed",
                           "nlp_skipped_language")),
        "dead_letters": (sum(dead.values()), _get(counts, "rows_dead_letters")),
    }
    return {name: {"in": a, "out": b, "ok": a == b} for name, (a, b) in checks.items()}


def build_manifest(config: RunConfig, counts: dict, state: str, *,
                   seconds: float, finished_at: datetime) -> dict:
    return {
        "run_id": config.run_id,
        "state": state,
        "started_at": config.started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "seconds": round(seconds, 2),
        "output": config.output,
        "model": config.model,
        "inputs": {"feeds": len(config.feeds), "articles": list(config.articles)},
        "stages": {
            "fetch": {"in": _get(counts, "feeds_in"),
                      "fetched": _get(counts, "feeds_fetched"),
                      "not_modified": _get(counts, "feeds_not_modified"),
                      "failed": _get(counts, "feeds_failed"),
                      "skipped_backoff": _get(counts, "feeds_backoff"),
                      "skipped_dead": _get(counts, "feeds_dead"),
                      "moved_permanently": _get(counts, "feeds_moved"),
                      "replayed": _get(counts, "feeds_replayed")},
            "parse": {"entries": _get(counts, "entries_seen"),
                      "stories": _get(counts, "entries_parsed")},
            "archive": {"lines": _get(counts, "archive_lines"),
                        "repaired_lines": _get(counts, "archive_lines_repaired")},
            "dedup": {"in": _get(counts, "stories_in"),
                      "already_stored": _get(counts, "stories_already_stored"),
                      "same_id_merged": _get(counts, "stories_same_id_merged"),
                      "canonical": _get(counts, "stories_canonical"),
                      "duplicates": _get(counts, "stories_duplicate"),
                      "candidate_pairs": _get(counts, "dedup_candidate_pairs"),
                      "verified_pairs": _get(counts, "dedup_verified_pairs"),
                      "key_groups_skipped": _get(counts, "dedup_key_groups_skipped"),
                      "chars_canonical": _get(counts, "chars_canonical"),
                      "chars_duplicate": _get(counts, "chars_duplicate")},
            "extract": {"in": _get(counts, "stories_canonical"),
                        "stories": _get(counts, "nlp_stories"),
                        "skipped_language": _get(counts, "nlp_skipped_language"),
                        "failed": _get(counts, "nlp_failed"),
                        "entities": _get(counts, "entities"),
                        "relations": _get(counts, "relations"),
                        "quotes": _get(counts, "quotes")},
            "write": {name: _get(counts, f"rows_{name}") for name in TABLES},
        },
        "dead_letters": dead_by_stage(counts),
        "reconciliation": reconciliation(counts),
        "counters": dict(sorted(counts.items())),
    }


def feed_problems(config: RunConfig) -> dict[str, list[tuple[str, str]]]:
    """This run's failing feeds and moved feeds, read back from its fetch_log."""
    path = paths.part_file(config.output, FETCH_LOG, config.run_date, config.run_id)
    if not FileSystems.exists(path):
        return {"failed": [], "moved": []}
    with FileSystems.open(path) as handle:
        rows = pq.read_table(handle, columns=["feed_url", "error", "moved_permanently",
                                              "effective_url"]).to_pylist()
    return {
        "failed": sorted((r["feed_url"], r["error"]) for r in rows if r["error"]),
        "moved": sorted((r["feed_url"], r["effective_url"]) for r in rows
                        if r["moved_permanently"]),
    }


def _share(part: int, rest: int) -> str:
    total = part + rest
    return f"{100 * part / total:.0f}%" if total else "0%"


def summary_lines(manifest: dict) -> list[str]:
    stages = manifest["stages"]
    dedup, extract, write = stages["dedup"], stages["extract"], stages["write"]
    lines = [f"wirestream run {manifest['run_id']}: {manifest['state']} "
             f"in {manifest['seconds']:.1f} s"]
    problems = manifest.get("feed_problems") or {}
    if problems.get("failed"):
        lines.append(f"  FAILING FEEDS ({len(problems['failed'])}):")
        lines += [f"    {url}: {error}" for url, error in problems["failed"]]
    if problems.get("moved"):
        lines.append(f"  MOVED FEEDS ({len(problems['moved'])}), update the feed list:")
        lines += [f"    {url} -> {new}" for url, new in problems["moved"]]
    fetch = stages["fetch"]
    if fetch["replayed"]:
        lines.append(f"  feeds:        {fetch['replayed']} replayed from raw responses")
    elif fetch["in"]:
        skipped = fetch["skipped_backoff"] + fetch["skipped_dead"]
        # FAILING FEEDS lists every fetch_log row with an error: failed and
        # skipped fetches, and bodies fetched that were no readable feed.
        unreadable = len(problems.get("failed") or []) - fetch["failed"] - skipped
        lines.append(f"  feeds:        {fetch['in']} listed, {fetch['fetched']} fetched"
                     + (f" ({unreadable} of them no readable feed)" if unreadable > 0 else "")
                     + f", {fetch['not_modified']} not modified, {fetch['failed']} failed, "
                     f"{skipped} skipped")
    repaired = stages["archive"]["repaired_lines"]
    if repaired:
        lines.append(f"  archive:      {repaired} line(s) not valid UTF-8, "
                     "their stray bytes read as windows-1252")
    merged = dedup.get("same_id_merged") or 0
    lines += [
        f"  stories:      {dedup['in']} read, {write['stories']} new "
        f"({dedup['canonical']} canonical, {dedup['duplicates']} duplicates), "
        f"{dedup['already_stored']} already stored"
        # Served twice under one story_id (two feeds, one archive given twice):
        # one copy is kept, so the line adds up.
        + (f", {merged} same-id cop{'y' if merged == 1 else 'ies'} merged" if merged else ""),
        f"  dedup:        NLP skipped for {dedup['duplicates']} duplicate(s), "
        f"{_share(dedup['chars_duplicate'], dedup['chars_canonical'])} of the text",
        f"  extracted:    {extract['stories']} stories -> {extract['entities']} entities, "
        f"{extract['relations']} relations, {extract['quotes']} quotes",
        f"  dead letters: {write['dead_letters']}"
        + (f" ({', '.join(f'{k}: {v}' for k, v in manifest['dead_letters'].items())})"
           if manifest["dead_letters"] else ""),
    ]
    broken = [k for k, v in manifest["reconciliation"].items() if not v["ok"]]
    lines.append("  counts reconcile" if not broken else
                 f"  COUNTS DO NOT RECONCILE: {', '.join(broken)}")
    lines.append(f"  tables:       {manifest['output']}/"
                 f"{{{','.join(TABLES)}}}/")
    if "manifest_path" in manifest:
        lines.append(f"  manifest:     {manifest['manifest_path']}")
    return lines
