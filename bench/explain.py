"""EXPLAIN ANALYZE of exactly the SQL the app runs.

``JobQueries`` is handed a stand-in for its pool that records the statement and arguments
instead of running them; those are then explained on a real connection. The plan is the
one PostgreSQL picks for these argument values (a custom plan); after five runs of a
prepared statement the app may be on the generic plan instead.
"""

from typing import Any

import asyncpg

from jobline_jobs.adapters.job_queries import JobQueries, ListQuery


class _Recorder:
    """Just enough of asyncpg.Pool for JobQueries: remembers what it was asked to run."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, sql: str, *args: Any) -> list[Any]:  # noqa: ANN401 - any SQL argument
        self.calls.append((sql, args))
        return []


async def page_plan(url: str, tenant_id: str, time_zone: str, query: ListQuery) -> str:
    """The EXPLAIN (ANALYZE, BUFFERS) text of the page query, after a few warm runs."""
    recorder = _Recorder()
    await JobQueries(recorder).page(tenant_id, time_zone, query)  # type: ignore[arg-type]
    sql, args = recorder.calls[0]
    conn = await asyncpg.connect(url)
    try:
        for _ in range(3):  # warm caches, as the measured runs were
            await conn.fetch(sql, *args)
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
    finally:
        await conn.close()
    return "\n".join(row[0] for row in rows)
