"""An exception as one line of text, for logs, tables and the terminal.

The one definition every part of wirestream uses: fetch_log.error and
dead_letters.message are one line, and so is what the `wirestream` command
prints on stderr. It lives with the fetcher, the lowest layer that needs it,
so that pipeline/ can import it without transforms/ importing pipeline/;
it imports nothing, so importing it costs nothing.
"""

from __future__ import annotations

from typing import Optional


def one_line(err: BaseException, *, last: bool = False,
             limit: Optional[int] = None) -> str:
    """The first line of `err`'s message ("" if it has none), cut to `limit`.

    `last` takes the last line instead: an error raised on a remote Beam
    worker comes back with the worker's traceback in its message, and its
    last line names the error itself.
    """
    lines = str(err).strip().splitlines()
    if not lines:
        return ""
    line = lines[-1] if last else lines[0]
    return line if limit is None else line[:limit]
