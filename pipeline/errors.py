"""Exit statuses and one-line error messages, the same for every command.

The contract: 0 when a command did its work (a run that dead-lettered feeds
or records included); 2 with one line on stderr for a usage or configuration
error; 1 with one line when the work itself failed. A command raises
ConfigError for the first and does its work inside `failures(...)` for the
second; `exit_status` turns either into the status and the line, so no
command prints its own errors or picks its own numbers.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from contextlib import contextmanager
from typing import Callable, Optional

from transforms.fetch.messages import one_line

__all__ = ["OK", "FAILED", "USAGE", "ArgumentParser", "ConfigError", "Failed",
           "exit_status", "failures", "one_line", "say"]

OK, FAILED, USAGE = 0, 1, 2


class ConfigError(Exception):
    """A usage or configuration error: exit status 2 with this one line."""


class Failed(Exception):
    """A command's work failed: exit status 1 with this one line."""


def say(message: object) -> None:
    print(f"wirestream: {message}", file=sys.stderr)


@contextmanager
def failures(what: str):
    """Any exception inside becomes Failed("WHAT: Type: line"); Ctrl-C too.

    Only the work goes inside: an error while checking arguments is a usage
    error or a bug, and a bug should show its traceback.
    """
    try:
        yield
    except KeyboardInterrupt:
        raise Failed("interrupted") from None
    except Exception as err:
        # The traceback is for whoever turns on debug logging; the user gets a line.
        logging.getLogger("wirestream").debug(what, exc_info=True)
        raise Failed(f"{what}: {type(err).__name__}: "
                     f"{one_line(err, last=True, limit=500)}") from err


def exit_status(command: Callable[[], int]) -> int:
    """Run a command's main; ConfigError and Failed become their line and status."""
    try:
        return command()
    except ConfigError as err:
        say(err)
        return USAGE
    except Failed as err:
        say(err)
        return FAILED


class ArgumentParser(argparse.ArgumentParser):
    """argparse for a command's own options, whose errors are one line and
    exit status 2 like every other usage error (argparse prints its usage
    block first otherwise)."""

    def error(self, message: str):
        command = self.prog.removeprefix("wirestream ")
        raise ConfigError(f"{command}: {message} (see {self.prog} --help)")

    def parse_command(self, argv: list[str]) -> Optional[argparse.Namespace]:
        """The parsed arguments, or None once --help has been printed."""
        try:
            return self.parse_args(argv)
        except SystemExit:
            return None


def check_output_exists(output: str) -> None:
    """An OUTPUT folder a command reads must exist: a usage error if not."""
    from apache_beam.io.filesystems import FileSystems

    if not FileSystems.exists(output):
        raise ConfigError(f"--output {output}: no such folder")


def check_date(flag: str, value: Optional[str]) -> None:
    """A YYYY-MM-DD option (a partition value) naming a real day, or a
    usage error: 2024-99-01 reached DuckDB's cast, 2024-02-30 matched nothing."""
    from datetime import date

    if value is None:
        return
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag} {value}: expected a date, YYYY-MM-DD") from None
