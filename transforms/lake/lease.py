"""One writer per DIR at a time: a lease under `DIR/_state/lease`.

Two scheduled runs that overlap on one DIR would both store the same new
stories (and recovery of one could discard the other's staged files). The
lease is taken before a run reads DIR and released when it has committed.

It is a tiny Delta table with no data files: each change of holder is a
commit carrying an app transaction whose version is the lease's generation.
Delta's commit is put-if-absent on local disk, gs:// and s3:// (delta-rs),
and two writers that read the same generation and both try the next one
conflict: exactly one wins. The commit's metadata says who holds the lease
(run id, host, pid, since, until).

A lease is stale, and may be taken over (with a warning), when its holder
released it, when it ran on this host and its process is gone, or when it
is past its expiry; a holder renews it while running (`Renewal`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import pyarrow as pa
from deltalake import DeltaTable
from deltalake import Schema as DeltaSchema
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError
from deltalake.transaction import (
    CommitProperties,
    PostCommitHookProperties,
    Transaction,
    create_table_with_add_actions,
)

from transforms.lake import paths

LOG = logging.getLogger("wirestream.lake")
APP_ID = "wirestream-lease"
# Long enough that a holder on another machine renewing every third of it
# never lapses; short enough that a dead one frees DIR within minutes.
DEFAULT_TTL = timedelta(minutes=10)
_SCHEMA = DeltaSchema.from_arrow(pa.schema([pa.field("unused", pa.string())]))
# Two commits a run (taken, released) and renewals: checkpoints and a short
# log retention keep taking the lease quick after a year of runs. (Unlike
# the tables, nothing globs this folder's Parquet.)
_CONFIGURATION = {"delta.checkpointInterval": "100",
                  "delta.logRetentionDuration": "interval 2 days"}


class LeaseHeld(Exception):
    """Another live run holds DIR."""


@dataclass(frozen=True)
class Holder:
    run_id: str
    host: str
    pid: int
    since: str
    until: str
    released: bool = False

    @classmethod
    def from_commit(cls, info: dict) -> Optional["Holder"]:
        if "wirestream.lease.run_id" not in info:
            return None
        return cls(info["wirestream.lease.run_id"], info["wirestream.lease.host"],
                   int(info["wirestream.lease.pid"]), info["wirestream.lease.since"],
                   info["wirestream.lease.until"],
                   bool(info.get("wirestream.lease.released", False)))

    def metadata(self) -> dict:
        return {"wirestream.lease.run_id": self.run_id, "wirestream.lease.host": self.host,
                "wirestream.lease.pid": self.pid, "wirestream.lease.since": self.since,
                "wirestream.lease.until": self.until,
                "wirestream.lease.released": self.released}

    def stale_reason(self, now: datetime) -> Optional[str]:
        """Why this holder no longer holds DIR, or None if it may."""
        if self.released:
            return "released"
        if self.host == socket.gethostname() and not _alive(self.pid):
            return f"its process {self.pid} on this host is gone"
        if datetime.fromisoformat(self.until) < now:
            return f"it expired at {self.until}"
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lease_uri(output: str) -> str:
    return paths.lease_dir(output)


def _open(uri: str) -> DeltaTable:
    try:
        return DeltaTable(uri)
    except TableNotFoundError:
        pass
    try:
        create_table_with_add_actions(
            uri, _SCHEMA, [], mode="error", name="wirestream lease",
            configuration=_CONFIGURATION,
            commit_properties=CommitProperties(app_transactions=[Transaction(APP_ID, 0)]))
    except DeltaError as err:
        try:
            return DeltaTable(uri)  # another run created it first: the same empty lease
        except TableNotFoundError:
            raise err from None  # it could not be created: say why (a read-only DIR, ...)
    return DeltaTable(uri)


def _current(table: DeltaTable) -> tuple[int, Optional[Holder]]:
    generation = table.transaction_version(APP_ID) or 0
    return generation, Holder.from_commit(table.history(1)[0])


def _commit(table: DeltaTable, generation: int, holder: Holder) -> bool:
    """Move the lease to the next generation; False if another writer did first."""
    try:
        table.create_write_transaction(
            [], mode="append", schema=_SCHEMA,
            commit_properties=CommitProperties(
                app_transactions=[Transaction(APP_ID, generation + 1)],
                custom_metadata=holder.metadata(), max_commit_retries=0),
            post_commithook_properties=PostCommitHookProperties(create_checkpoint=True,
                                                                cleanup_expired_logs=True))
    except CommitFailedError:
        return False
    return True


class Lease:
    """The lease on OUTPUT for RUN_ID: `acquire()`, then `release()`."""

    def __init__(self, output: str, run_id: str, ttl: timedelta = DEFAULT_TTL):
        self._uri, self._run_id, self._ttl = lease_uri(output), run_id, ttl
        self._generation: Optional[int] = None
        self._since = ""
        self._lock = threading.Lock()

    def _me(self, now: datetime, released: bool = False) -> Holder:
        return Holder(self._run_id, socket.gethostname(), os.getpid(),
                      self._since or now.isoformat(), (now + self._ttl).isoformat(), released)

    def acquire(self) -> Optional[str]:
        """Take the lease; a line saying whose stale lease was taken over, if
        one was. Raises LeaseHeld when a live run holds it."""
        table = _open(self._uri)
        now = datetime.now(timezone.utc)
        generation, holder = _current(table)
        taken_over = None
        if holder is not None:
            reason = holder.stale_reason(now)
            if reason is None:
                raise LeaseHeld(f"another run holds {self._uri.rsplit('/_state', 1)[0]} since "
                                f"{holder.since}, run_id {holder.run_id} (host {holder.host}, "
                                f"pid {holder.pid}, until {holder.until})")
            if reason != "released":
                # Returned, not logged: the command says it, once, on stderr.
                taken_over = f"took over the lease of run {holder.run_id}: {reason}"
        self._since = now.isoformat()
        if not _commit(table, generation, self._me(now)):
            table.update_incremental()
            _generation, winner = _current(table)
            raise LeaseHeld(f"another run holds {self._uri.rsplit('/_state', 1)[0]}: it took "
                            f"the lease first, run_id {winner.run_id if winner else '?'}")
        self._generation = generation + 1
        return taken_over

    def renew(self) -> bool:
        """Push the expiry on; False if the lease was lost meanwhile."""
        with self._lock:
            if self._generation is None:
                return False
            table = DeltaTable(self._uri)
            if _current(table)[0] != self._generation or not _commit(
                    table, self._generation, self._me(datetime.now(timezone.utc))):
                LOG.error("lost the lease on %s", self._uri)
                self._generation = None
                return False
            self._generation += 1
            return True

    def release(self) -> None:
        with self._lock:
            if self._generation is None:
                return
            table = DeltaTable(self._uri)
            if _current(table)[0] == self._generation:
                _commit(table, self._generation,
                        self._me(datetime.now(timezone.utc), released=True))
            self._generation = None


class Renewal:
    """Renews a lease every third of its time to live while the block runs."""

    def __init__(self, lease: Lease, every: timedelta):
        self._lease, self._every = lease, every.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-renewal", daemon=True)

    def _loop(self):
        while not self._stop.wait(self._every):
            if not self._lease.renew():
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
