"""The DIR's lease around a command's work, for `run` and `stream` alike."""

from __future__ import annotations

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
    if taken_over:
        errors.say(taken_over)
    try:
        with Renewal(lease, DEFAULT_TTL / 3), errors.failures(what):
            yield
    finally:
        lease.release()
