"""The read side of the Jobs list: views, counts, pages and a job's details, in SQL.

Every query is scoped by tenant in SQL. Pages are keyset pages over (sort key,
job_number), which stay stable while jobs are inserted; each view's predicate matches a
partial index of migration 0002 exactly, each sort an index of 0002 or 0021, and a date
range or a technician sorted by another key a covering index of 0027.
"""

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import asyncpg

from jobline_jobs.adapters import job_export_sql
from jobline_jobs.domain.list_sorts import Order, Sort
from jobline_jobs.domain.views import STEP_VIEWS, View
from jobline_jobs.service_layer.queries import JobLists, ListQuery, PageRow

__all__ = ["JobQueries", "ListQuery", "today_bounds"]

JOB_ROW_SQL = """
SELECT j.job_id, j.job_number, j.summary, j.step, j.scheduled_start, j.scheduled_end,
       j.completed_at, j.deferred_at, j.deferral_reason, j.currency, j.total, j.amount_paid,
       j.scheduled_amount, j.billable, j.bill_on,
       j.customer_id, c.name AS customer_name, j.property_id, p.address_text AS property_address,
       j.technician_id, t.name AS technician_name
  FROM jobs.jobs j
  LEFT JOIN jobs.customers c ON c.tenant_id = j.tenant_id AND c.customer_id = j.customer_id
  LEFT JOIN jobs.properties p ON p.tenant_id = j.tenant_id AND p.property_id = j.property_id
  LEFT JOIN jobs.technicians t ON t.tenant_id = j.tenant_id
                              AND t.technician_id = j.technician_id
"""


# The list page names each job's parties with scalar subqueries, not joins: with joins
# the planner sizes Memoize caches for the whole tenant rather than the page, which made
# the "all" view of a 200,000-job tenant 6x slower (bench/results.md has the plan). Its
# columns are PAGE_COLUMNS, in that order; its ids come as text, as the page writes them
# (decoded to UUIDs and written back, they were a sixth of the page's JSON).
_PAGE_ROW = """
SELECT j.job_id::text, j.job_number, j.summary, j.step, j.scheduled_start, j.scheduled_end,
       j.completed_at, j.deferred_at, j.deferral_reason, j.currency, j.total, j.amount_paid,
       j.scheduled_amount, j.billable, j.bill_on,
       j.customer_id::text, j.property_id::text, j.technician_id::text,
       NULLIF(j.customer_name, '') AS customer_name,
       (SELECT p.address_text FROM jobs.properties p
         WHERE p.tenant_id = j.tenant_id AND p.property_id = j.property_id) AS property_address,
       (SELECT t.name FROM jobs.technicians t
         WHERE t.tenant_id = j.tenant_id AND t.technician_id = j.technician_id)
           AS technician_name,
       CASE WHEN j.step = 'canceled' THEN EXISTS (SELECT 1 FROM jobs.invoices i
         WHERE i.tenant_id = j.tenant_id AND i.job_id = j.job_id AND i.status = 'issued')
       END AS invoice_stands"""

_EXPORT_BATCH = 5000  # rows the export reads (and writes out) at a time

# Each sort's key, written as its index of migration 0021 (or 0002) writes it.
_BALANCE = "jobs.balance_of(j.step, j.total, j.scheduled_amount, j.amount_paid)"
_SORT_KEYS = {
    Sort.SCHEDULED: "j.scheduled_start",
    Sort.NUMBER: "j.job_number",
    Sort.CUSTOMER: "j.customer_name",
    Sort.BALANCE: _BALANCE,
}

# The step counters count a subjob scheduled for a later date at its step (awaiting
# billing); it is not in that view until its date comes (migration 0013's index).
_SCHEDULED_SUBJOBS = """
SELECT count(*) FROM jobs.jobs
 WHERE NOT billable AND tenant_id = $1 AND deferred_at IS NULL AND step = 'awaiting_billing'
"""


def today_bounds(time_zone: str, today: date | None = None) -> tuple[datetime, datetime]:
    """Midnight to midnight of today in the tenant's zone (23 or 25 hours on DST days)."""
    zone = ZoneInfo(time_zone)
    day = today or datetime.now(zone).date()
    start = datetime.combine(day, time(), zone)
    return start, datetime.combine(day + timedelta(days=1), time(), zone)


class _Where:
    """Builds a WHERE clause with numbered parameters."""

    def __init__(self, tenant_id: str) -> None:
        self.args: list[object] = [tenant_id]
        self.clauses = ["j.tenant_id = $1"]

    def add(self, clause: str, *values: object) -> None:
        names = []
        for value in values:
            self.args.append(value)
            names.append(f"${len(self.args)}")
        self.clauses.append(clause.format(*names))

    def sql(self) -> str:
        return " AND ".join(self.clauses)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sorts_a_range(query: ListQuery) -> bool:
    """A date range or a technician's jobs sorted by another key than scheduled time: the
    rows are found in scheduled order (jobs_all_page, jobs_technician_page) and must all be
    sorted. Those two indexes carry every sort key (migration 0027), so the sort reads the
    index only and the heap is read for the page's rows alone: 3,000 jobs in the next 7
    days of a 200,000-job tenant sorted in 1.4 ms and 600 buffers, not 6.8 ms and 3,500."""
    return query.sort is not Sort.SCHEDULED and (
        query.scheduled_from is not None
        or query.scheduled_before is not None
        or query.technician_id is not None
    )


class JobQueries(JobLists):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def page(
        self, tenant_id: str, time_zone: str, query: ListQuery
    ) -> tuple[Sequence[PageRow], bool]:
        """One page of the view, and whether more follow."""
        where = self._where(tenant_id, time_zone, query)
        key = _SORT_KEYS[query.sort]
        direction, beyond = ("DESC", "<") if query.order is Order.DESC else ("ASC", ">")
        if query.after is not None:
            where.add(f"({key}, j.job_number) {beyond} ({{}}, {{}})", *query.after)
        where.args.append(query.limit + 1)
        limit, order = f"${len(where.args)}", f"{key} {direction}, j.job_number {direction}"
        if _sorts_a_range(query):
            sql = (  # the range's keys from its covering index, then the page's rows only
                f"{_PAGE_ROW}, k.sort_key FROM (SELECT j.job_number, {key} AS sort_key"  # noqa: S608 - fixed clauses; values are parameters
                f" FROM jobs.jobs j WHERE {where.sql()} ORDER BY {order} LIMIT {limit}) k"
                " JOIN jobs.jobs j ON j.tenant_id = $1 AND j.job_number = k.job_number"
                f" ORDER BY k.sort_key {direction}, k.job_number {direction}"
            )
        else:
            sql = (
                f"{_PAGE_ROW}, {key} AS sort_key FROM jobs.jobs j WHERE {where.sql()}"
                f" ORDER BY {order} LIMIT {limit}"
            )
        rows = await self._pool.fetch(sql, *where.args)
        return rows[: query.limit], len(rows) > query.limit

    async def export(
        self, tenant_id: str, time_zone: str, query: ListQuery
    ) -> AsyncIterator[Sequence[Sequence[str | None]]]:
        """Every row of the query as text, in batches, from one statement through a
        server-side cursor (one read-only transaction; one batch held in memory)."""
        where = self._where(tenant_id, time_zone, query)
        key = _SORT_KEYS[query.sort]
        direction = "DESC" if query.order is Order.DESC else "ASC"
        sql = (
            f"SELECT {', '.join(job_export_sql.COLUMNS)} {job_export_sql.FROM}"
            f" WHERE {where.sql()} ORDER BY {key} {direction}, j.job_number {direction}"
        )
        async with self._pool.acquire() as conn, conn.transaction(readonly=True):
            await conn.execute("SELECT set_config('TimeZone', $1, true)", time_zone)
            cursor = await conn.cursor(sql, *where.args)
            while batch := await cursor.fetch(_EXPORT_BATCH):
                # asyncpg's records are sequences of their columns, here all text
                yield cast("list[Sequence[str | None]]", batch)

    async def count(self, tenant_id: str, time_zone: str, query: ListQuery, cap: int) -> int:
        """How many rows the query has, counted up to ``cap`` (a search can match a whole
        tenant; the caption says "more than" beyond it)."""
        where = self._where(tenant_id, time_zone, query)
        where.args.append(cap)
        count: int = await self._pool.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM jobs.jobs j WHERE {where.sql()}"  # noqa: S608 - fixed clauses; values are parameters
            f" LIMIT ${len(where.args)}) AS matching",
            *where.args,
        )
        return count

    async def technicians(self, tenant_id: str) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            """SELECT technician_id, name FROM jobs.technicians WHERE tenant_id = $1
                ORDER BY name NULLS LAST, technician_id""",
            tenant_id,
        )
        return [dict(r) for r in rows]

    def _where(self, tenant_id: str, time_zone: str, query: ListQuery) -> _Where:
        """The query's view, search and filters, without its keyset."""
        where = _Where(tenant_id)
        self._view(where, query.view, time_zone)
        if query.text:
            where.add("j.search_text LIKE {}", f"%{_escape_like(query.text.lower())}%")
        for column in ("customer_id", "property_id", "technician_id"):
            if (value := getattr(query, column)) is not None:
                where.add(f"j.{column} = {{}}", value)
        self._filters(where, query)
        return where

    @staticmethod
    def _filters(where: _Where, query: ListQuery) -> None:
        """The scheduled range and balance-due filters (each matches an index of 0002 or
        0021: the range narrows any sort's scan; "due" is a partial index of its own)."""
        if query.scheduled_from is not None:
            where.add("j.scheduled_start >= {}", query.scheduled_from)
        if query.scheduled_before is not None:
            where.add("j.scheduled_start < {}", query.scheduled_before)
        if query.balance_due is not None:
            where.add(f"{_BALANCE} {'>' if query.balance_due else '<='} 0")

    @staticmethod
    def _view(where: _Where, view: View, time_zone: str) -> None:
        if view in STEP_VIEWS:
            where.add("j.deferred_at IS NULL AND j.step = {}", STEP_VIEWS[view].value)
            if view is View.AWAITING_BILLING:  # a subjob waits for its date out of view
                where.add("j.billable")
        elif view is View.DEFERRED:
            where.add("j.deferred_at IS NOT NULL")
        elif view is View.COMPLETED_SCHEDULED_TODAY:
            where.add(
                "j.completed_at IS NOT NULL AND j.step <> 'canceled'"
                " AND j.scheduled_start >= {} AND j.scheduled_start < {}",
                *today_bounds(time_zone),
            )

    async def counts(self, tenant_id: str, time_zone: str) -> dict[View, int]:
        """Every view's count: step counters kept by a trigger, today's from its index."""
        start, end = today_bounds(time_zone)
        rows = await self._pool.fetch(
            """SELECT bucket, sum(n)::bigint AS n FROM jobs.view_counts
                WHERE tenant_id = $1 GROUP BY bucket""",
            tenant_id,
        )
        buckets = {r["bucket"]: r["n"] for r in rows}
        counts = {view: buckets.get(step.value, 0) for view, step in STEP_VIEWS.items()}
        counts[View.AWAITING_BILLING] -= await self._pool.fetchval(_SCHEDULED_SUBJOBS, tenant_id)
        counts[View.ALL] = sum(buckets.values())
        counts[View.DEFERRED] = sum(n for b, n in buckets.items() if b.startswith("deferred:"))
        counts[View.COMPLETED_SCHEDULED_TODAY] = await self._pool.fetchval(
            """SELECT count(*) FROM jobs.jobs j
                WHERE j.tenant_id = $1 AND j.completed_at IS NOT NULL
                  AND j.step <> 'canceled' AND j.scheduled_start >= $2
                  AND j.scheduled_start < $3""",
            tenant_id,
            start,
            end,
        )
        return {view: counts[view] for view in View}
