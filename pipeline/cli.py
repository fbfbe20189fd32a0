"""The `wirestream` command.

Exit status (contract): 0 when the run completed, even with dead letters or
failed feeds; 2 with one line for a usage or configuration error; 1 for a
pipeline failure.
"""

from __future__ import annotations

import logging
import os
import sys

from pipeline.feedlist import ConfigError

USAGE = """usage: wirestream run [--feeds FILE]... [--articles FILE_OR_GLOB]... --output DIR [Beam options]

commands:
  run    one batch run: fetch every feed once (or read the archive), deduplicate,
         extract, write the tables; with neither --feeds nor --articles it runs
         on the bundled sample feeds, offline.

`wirestream run --help` lists wirestream's own options; every other flag is
passed to Beam (--runner, --direct_num_workers, ...)."""


# Warnings Beam logs on every run that say nothing about this run: the GCP
# extras are not installed, and RunInference cannot read memory usage here.
_BEAM_NOISE = ("apitools not found", "Resource module is not available")


def _drop_beam_noise(record: logging.LogRecord) -> bool:
    return not any(text in str(record.msg) for text in _BEAM_NOISE)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command != "run":
        print(f"wirestream: unknown command {command!r} (try: wirestream run)",
              file=sys.stderr)
        return 2
    if "-h" in rest or "--help" in rest:
        import argparse

        from pipeline.options import WirestreamOptions
        parser = argparse.ArgumentParser(prog="wirestream run")
        WirestreamOptions._add_argparse_args(parser)
        parser.print_help()
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_drop_beam_noise)
    try:
        from pipeline.config import parse_run_args
        config = parse_run_args(rest)
    except ConfigError as err:
        print(f"wirestream: {err}", file=sys.stderr)
        return 2
    from pipeline.run import run
    try:
        run(config)
    except KeyboardInterrupt:
        print("wirestream: interrupted", file=sys.stderr)
        return 1
    except Exception as err:  # the pipeline itself failed: say what, exit 1
        logging.getLogger("wirestream").debug("pipeline failure", exc_info=True)
        first = (str(err).strip().splitlines() or [""])[-1][:500]
        print(f"wirestream: pipeline failed: {type(err).__name__}: {first}",
              file=sys.stderr)
        return 1
    return 0


def entry() -> None:
    """The console script: main(), then exit without interpreter teardown.

    With Beam 2.77 a finished run sometimes aborted during interpreter
    shutdown ("terminate called without an active exception", status 134)
    after everything was written: a native thread outliving the interpreter.
    The result is already on disk by then, so flush and leave directly; the
    exit status is the one the contract promises.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    entry()
