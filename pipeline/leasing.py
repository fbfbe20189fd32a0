"""The DIR's lease around a command's work, for `run` and `stream` alike."""

from __future__ import annotations

import re
from contextlib import contextmanager

from pipeline import errors


@contextmanager
def holding_lease(output: str, run_id: str, what: str):
    """Run the block holding OUTPUT's lease (renewed while it runs) and
    inside `errors.failures(what)`; a live holder is a one-line usage error
    (exit 2) rather than a second writer storing every new story again."""
    from transforms.lake.lease import DEFAULT_TTL, Lease, LeaseHeld, Renewal

    lease = Lease(output, run_id)
    try:
        taken_over = lease.acquire()
    except LeaseHeld as held:
        raise errors.ConfigError(str(held)) from None
    except Exception as err:
        # The first write to OUTPUT failed and nothing was started. A local
        # folder that cannot be written is the user's to fix (exit 2); a
        # bucket may only be unreachable for now (exit 1, a scheduler retries).
        problem = f"cannot write to {output}: {_os_error(err)}"
        raise (errors.Failed if "://" in output else errors.ConfigError)(problem) from None
    if taken_over:
        errors.say(taken_over)
    try:
        with Renewal(lease, DEFAULT_TTL / 3), errors.failures(what):
            yield
    finally:
        lease.release()


def _os_error(err: Exception) -> str:
    """deltalake's Rust error as its message alone ("Permission denied"),
    not `Error: Os { code: 13, kind: PermissionDenied, message: ... }`."""
    line = errors.one_line(err, last=True, limit=300)
    found = re.search(r'Os \{ code: \d+, kind: \w+, message: "([^"]+)" \}', line)
    return found.group(1) if found else line
