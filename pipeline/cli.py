"""The `wirestream` command: a table of subcommands.

Each command is a module under pipeline/commands/ (see its __init__ for what
one defines) plus one row in COMMANDS below; the usage text, the dispatch and
the exit statuses follow from the table. Adding `wirestream stream` is
pipeline/commands/stream.py and a "stream" row, nothing else here.

Exit status (contract, pipeline/errors.py): 0 when the command completed, a
run with dead letters or failed feeds included; 2 with one line for a usage
or configuration error; 1 for a pipeline failure.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import NamedTuple

from pipeline import errors


class Command(NamedTuple):
    module: str
    summary: str


COMMANDS: dict[str, Command] = {
    "run": Command("pipeline.commands.run",
                   "one batch run: fetch or read stories, deduplicate, extract, write the tables"),
    "stream": Command("pipeline.commands.stream",
                      "the same pipeline as an unbounded job that polls the feeds"),
    "compact": Command("pipeline.commands.compact",
                       "merge small files into few large ones, atomically, every row kept"),
    "report": Command("pipeline.commands.report",
                      "a self-contained HTML page with charts of what DIR holds"),
    "query": Command("pipeline.commands.query",
                     "SQL (DuckDB) over the current snapshot of the tables"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: wirestream COMMAND [ARGS]", "", "commands:"]
    for name, command in COMMANDS.items():
        synopsis = importlib.import_module(command.module).SYNOPSIS
        lines += [f"  {name:<{width}}  {command.summary}",
                  f"  {'':<{width}}  wirestream {synopsis}"]
    lines += ["", "`wirestream COMMAND --help` lists a command's options."]
    return "\n".join(lines)


# Warnings Beam logs on every run that say nothing about this run: the GCP
# extras are not installed, and RunInference cannot read memory usage here.
_BEAM_NOISE = ("apitools not found", "Resource module is not available")


def _drop_beam_noise(record: logging.LogRecord) -> bool:
    return not any(text in str(record.msg) for text in _BEAM_NOISE)


def _quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_drop_beam_noise)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        # Asked for, it is the answer; not asked for, the command line was wrong.
        return errors.OK if argv else errors.USAGE
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        errors.say(f"unknown command {name!r} (commands: {', '.join(COMMANDS)}; "
                   "see wirestream --help)")
        return errors.USAGE
    # Before the command imports Beam: Beam logs its noise while loading.
    _quiet_logging()
    command = importlib.import_module(COMMANDS[name].module)
    return errors.exit_status(lambda: command.main(rest))


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
