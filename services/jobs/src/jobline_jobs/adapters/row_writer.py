"""The writer of typed rows: one statement per kind per send.

Repositories and the unit of work do not write state row by row; they hand the rows a
change needs to a :class:`RowWriter`, which sends each kind with one ``executemany`` (or
COPY, where many rows of a plain insert pay for it), kinds in foreign-key order, each
kind's rows in the order they were added, so outbox ids follow the order of each job's
events. A message on its own sends its rows when its handler is done; a batch of
messages sends them all once, at commit. Either way the same rows are written in the
same order.
"""

from collections.abc import Sequence

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.rows import (
    STATEMENTS,
    DispatchHistory,
    DispatchInsert,
    LineItemInsert,
    OutboxRow,
    R,
    Row,
    TimelineEntry,
)

NOTIFY_CHANNEL = "jobs_outbox"

# Plain inserts of many rows go by COPY instead: about a microsecond less client CPU a
# row. (Not the outbox: its columns may be computed in the insert.)
COPIED: dict[type[Row], str] = {
    LineItemInsert: "line_items",
    DispatchInsert: "dispatches",
    DispatchHistory: "dispatch_status_history",
    TimelineEntry: "timeline",
}
COPY_FROM = 32  # rows; fewer go by executemany, which needs no extra round trip


class RowWriter:
    """The rows of one transaction not yet sent (see the module)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rows: dict[type[Row], list[Row]] = {kind: [] for kind in STATEMENTS}

    def add(self, row: Row) -> None:
        self._rows[type(row)].append(row)

    def extend(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self._rows[type(row)].append(row)

    def pending(self, kind: type[R]) -> list[R]:
        """The rows of ``kind`` added and not yet sent, in order."""
        return self._rows[kind]  # type: ignore[index, return-value]

    async def send(self) -> None:
        """Send what is pending, one statement per kind, in foreign-key order; a NOTIFY,
        delivered at commit, wakes the relay when outbox rows were among them."""
        notify = bool(self._rows[OutboxRow])
        for kind, rows in self._rows.items():
            if rows:
                self._rows[kind] = []
                if len(rows) >= COPY_FROM and kind in COPIED:
                    await self._conn.copy_records_to_table(
                        COPIED[kind], schema_name="jobs", columns=kind._fields, records=rows
                    )
                else:
                    await self._conn.executemany(STATEMENTS[kind], rows)
        if notify:
            await self._conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)

    def discard(self) -> None:
        """Forget what is pending (its savepoint was rolled back)."""
        for rows in self._rows.values():
            rows.clear()
