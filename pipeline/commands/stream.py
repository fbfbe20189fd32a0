"""`wirestream stream`: the pipeline as an unbounded job that polls the feeds."""

from __future__ import annotations

import argparse
import json

from pipeline import errors

SYNOPSIS = ("stream --feeds FILE --output DIR [--poll-interval S] [--window S] "
            "[--max-polls N | --duration S] [--allowed-lateness S] [Beam options]")

DESCRIPTION = """One unbounded Beam pipeline made of the same stages as `run`: every
--poll-interval seconds the feeds are fetched (conditional GET, politeness,
backoff, state kept between polls), stories are deduplicated against
everything seen and stored, extracted, and written in fixed windows of
--window seconds, each window committed to DIR as a run is, with a
manifest per window. With --max-polls or --duration it stops by itself.

Incremental commits, window by window, need a streaming runner (Dataflow
streaming, Flink: --runner ...). On the local runner the polls happen in real
time, but extraction and the commits run once the last poll is done."""


# Options of `run` that a stream, which polls feeds, has no use for.
RUN_ONLY = ("--articles", "--replay", "--reprocess")


def stream_flags() -> argparse.ArgumentParser:
    parser = errors.ArgumentParser(prog="wirestream stream", add_help=False)
    parser.add_argument("--poll-interval", type=float, default=300.0, metavar="S",
                        help="Seconds between two polls of the feeds (default 300).")
    parser.add_argument("--window", type=float, default=900.0, metavar="S",
                        help="Seconds of arrivals committed together (default 900).")
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument("--max-polls", type=int, metavar="N",
                      help="Stop cleanly after N polls (tests, demos).")
    stop.add_argument("--duration", type=float, metavar="S",
                      help="Stop cleanly after S seconds.")
    parser.add_argument("--allowed-lateness", type=float, metavar="S",
                        help="Stories published more than S seconds before they are "
                             "fetched go to dead_letters (default: no limit).")
    return parser


def print_help() -> None:
    from pipeline.options import WirestreamOptions

    parser = argparse.ArgumentParser(
        prog="wirestream stream", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[stream_flags()])
    WirestreamOptions._add_argparse_args(parser)
    for action in parser._actions:
        if set(action.option_strings) & set(RUN_ONLY):
            action.help = argparse.SUPPRESS  # `parse` refuses them
    parser.print_help()


def parse(argv: list[str]):
    """(StreamConfig, RunConfig) from the command line."""
    from pipeline.config import parse_run_args
    from pipeline.stream import StreamConfig

    flags, rest = stream_flags().parse_known_args(argv)
    if flags.poll_interval <= 0 or flags.window <= 0:
        raise errors.ConfigError("--poll-interval and --window must be positive")
    if flags.max_polls is not None and flags.max_polls < 1:
        raise errors.ConfigError("--max-polls must be at least 1")
    if any(a.startswith(RUN_ONLY) for a in rest):
        raise errors.ConfigError("stream polls feeds: --articles, --replay and "
                                 "--reprocess are for `wirestream run`")
    config = parse_run_args(rest + ["--streaming"], command="stream")
    stream = StreamConfig(flags.poll_interval, flags.window, flags.max_polls,
                          flags.duration, flags.allowed_lateness)
    return stream, config


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print_help()
        return errors.OK
    stream, config = parse(argv)
    import logging

    import apache_beam as beam

    from pipeline.leasing import holding_lease
    from pipeline.run import choose_runner
    from pipeline.stream import build_stream
    from transforms.lake import delta

    logging.getLogger("wirestream.stream").setLevel(logging.INFO)
    with holding_lease(config.output, config.run_id, "stream failed"):
        for line in delta.recover(config.output, config.run_id):
            errors.say(line)
        options = config.pipeline_options()
        pipeline = beam.Pipeline(runner=choose_runner(options), options=options)
        build_stream(pipeline, config, stream)
        pipeline.run().wait_until_finish()
    print("\n".join(summary_lines(config)))
    return errors.OK


def summary_lines(config) -> list[str]:
    """One line per window this stream committed, from their manifests."""
    from apache_beam.io.filesystems import FileSystems

    from transforms.lake import paths
    from transforms.lake.windows import window_line

    pattern = paths.window_manifests_pattern(config.output, config.run_id)
    found = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
    lines = [f"wirestream stream {config.run_id}: {len(found)} window(s) committed"]
    for path in found:
        with FileSystems.open(path) as handle:
            lines.append("  " + window_line(json.loads(handle.read())))
    return lines
