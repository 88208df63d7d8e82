"""Group commit: concurrent small ingest requests of one process share one INSERT.

The support backend sends one event per call, from many app servers at once. Each call is a
transaction, and the summary triggers cost nearly the same per statement whatever its size
(about 3.5 ms of backend time for a one-event statement on this project's benchmark machine,
against well under 0.2 ms per event in a statement of a thousand; docs/performance.md). A
worker that runs N concurrent one-event requests as N statements pays that fixed cost N times.
Here, requests that arrive while a statement is being written share the next one:

- every request is validated on its own before it joins, so its 400 is its own;
- the first request that finds no statement in flight leads: it takes every waiting request
  (up to TALLY_MAX_BATCH events), writes them with one INSERT in one transaction on its own
  connection and commits; requests arriving meanwhile queue, and the first of them leads the
  next statement once this one is done;
- a request gets its answer only after the statement holding its events has committed, so every
  201 is as durable and as exact as before;
- if the shared statement fails, each of its requests is written again alone, in a transaction
  of its own: one request (a row the database refuses, a lock timeout) never fails another, and
  an error reaches only the request it belongs to.

There is no timer: a request that finds nobody writing is written at once, so the wait added is
at most the one statement in flight. The order of events within a statement does not matter
(the summaries are order-independent); of two requests carrying the same event id, the earlier
one stores it and the later one counts it as a duplicate, as it would in two statements.
"""

import threading
from dataclasses import dataclass, field

from django.conf import settings

from analytics import services


@dataclass(eq=False)
class Pending:
    workspace_id: int
    rows: list[dict]
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    done: bool = False
    accepted: int = 0
    error: BaseException | None = None


class SharedWriter:
    """Writes the events of concurrent requests with as few statements as the arrivals allow."""

    def __init__(self, *, max_statement_events: int, max_request_events: int):
        self.max_statement_events = max_statement_events
        self.max_request_events = max_request_events
        self.statements = 0
        """Statements written so far (tests and benchmarks read it)."""
        self._lock = threading.Lock()
        self._waiting: list[Pending] = []
        self._writing = False

    def write(self, *, workspace_id: int, rows: list[dict]) -> int:
        """Stores the rows (event_row dicts of one workspace) once a statement holding them
        has committed; returns how many were new. Raises what writing them alone raised."""
        pending = Pending(workspace_id=workspace_id, rows=rows)
        with self._lock:
            self._waiting.append(pending)
            if not self._writing:
                self._writing = pending.leads = True
        while True:
            if pending.leads:
                pending.leads = False
                self._lead()
            pending.wake.wait()
            pending.wake.clear()
            if pending.done:
                break
        if pending.error is not None:
            raise pending.error
        return pending.accepted

    def _lead(self) -> None:
        with self._lock:
            batch, size = [], 0
            while self._waiting and (not batch or size + len(self._waiting[0].rows) <= self.max_statement_events):
                pending = self._waiting.pop(0)
                batch.append(pending)
                size += len(pending.rows)
        try:
            self._write(batch)
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting[0].leads = True
                    self._waiting[0].wake.set()
                else:
                    self._writing = False
            for pending in batch:
                pending.done = True
                pending.wake.set()

    def _write(self, batch: list[Pending]) -> None:
        self.statements += 1
        try:
            stored = services.rows_insert([(pending.workspace_id, row) for pending in batch for row in pending.rows])
        except Exception as error:
            if len(batch) == 1:
                batch[0].error = error
                return
            for pending in batch:
                self._write([pending])
            return
        for pending in batch:
            pending.accepted = claim(stored, pending)


def claim(stored: set[tuple[int, str]], pending: Pending) -> int:
    """Counts (and removes from `stored`) the keys of `pending` that its statement stored; called
    in arrival order, so of two requests with the same key the earlier one, whose row the
    INSERT kept, gets it."""
    accepted = 0
    for row in pending.rows:
        key = (pending.workspace_id, row["event_id"])
        if key in stored:
            stored.discard(key)
            accepted += 1
    return accepted


_writer: SharedWriter | None = None
_writer_lock = threading.Lock()


def shared_writer() -> SharedWriter | None:
    """This process's SharedWriter, or None when TALLY_GROUP_COMMIT is off."""
    global _writer
    if not settings.TALLY_GROUP_COMMIT:
        return None
    with _writer_lock:
        if _writer is None:
            _writer = SharedWriter(
                max_statement_events=settings.TALLY_MAX_BATCH, max_request_events=settings.TALLY_GROUP_COMMIT_MAX_EVENTS
            )
        return _writer
