"""`wirestream run`: one batch run, from feeds, an archive or raw responses."""

from __future__ import annotations

from pipeline import errors

SYNOPSIS = "run [--feeds FILE]... [--articles FILE_OR_GLOB]... --output DIR [Beam options]"

DESCRIPTION = """One batch run: fetch every feed once (or read the archive), deduplicate,
extract, write the tables. With neither --feeds nor --articles it runs on the
bundled sample feeds, offline."""

EPILOG = """Every other flag is a Beam pipeline option and is passed to Beam
(--runner, --direct_num_workers, ...)."""


def print_help() -> None:
    import argparse

    from pipeline.options import WirestreamOptions

    # The options are WirestreamOptions' own, so --help cannot drift from
    # what a run (or a Dataflow template) accepts.
    parser = argparse.ArgumentParser(
        prog="wirestream run", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    WirestreamOptions._add_argparse_args(parser)
    parser.print_help()


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print_help()
        return errors.OK
    from pipeline.config import parse_run_args
    config = parse_run_args(argv)
    # Imported only now: building the graph loads every stage, which a
    # usage error need not wait for.
    from pipeline.leasing import holding_lease
    from pipeline.run import run

    with holding_lease(config.output, config.run_id, "pipeline failed"):
        run(config)
    return errors.OK
