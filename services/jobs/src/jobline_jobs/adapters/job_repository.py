"""Jobs in PostgreSQL. Loading a job locks its row until the transaction ends, which is
what keeps outbox ids in commit order per job. Saving a job hands its rows (and the rows
its events imply: visits, their history, payments, recall links, chargebacks) to the
transaction's :class:`RowWriter`; nothing is written row by row."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.adapters import job_rows
from jobline_jobs.adapters.job_cache import JobCache
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.adapters.rows import PaymentInsert
from jobline_jobs.domain import commands
from jobline_jobs.domain.billing import Share
from jobline_jobs.domain.model import Dispatch, Job
from jobline_jobs.domain.workflow import DispatchStatus, Step
from jobline_jobs.service_layer.unit_of_work import Causation, JobRepository

_LOAD = """
SELECT j.*,
       array(SELECT (d.dispatch_id, d.technician_id, d.window_start, d.window_end, d.status)
               FROM jobs.dispatches d
              WHERE d.tenant_id = j.tenant_id AND d.job_id = j.job_id) AS visits,
       array(SELECT (l.line_id, l.code, l.description, l.quantity, l.unit_price, l.taxable)
               FROM jobs.line_items l
              WHERE l.tenant_id = j.tenant_id AND l.job_id = j.job_id
              ORDER BY l.position) AS lines,
       array(SELECT (s.job_id, s.share_amount, s.share_percent, s.share_tax)
               FROM jobs.jobs s
              WHERE s.tenant_id = j.tenant_id AND s.parent_job_id = j.job_id
              ORDER BY s.job_number) AS shares,
       (SELECT r.original_job_id FROM jobs.recall_links r
         WHERE r.tenant_id = j.tenant_id AND r.recall_job_id = j.job_id
           AND r.unlinked_at IS NULL) AS recall_of
  FROM jobs.jobs j
 WHERE j.tenant_id = $1 AND j.job_id = $2
"""


_LOCK_MANY = """
SELECT tenant_id, job_id, version FROM jobs.jobs
 WHERE (tenant_id, job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
 ORDER BY tenant_id, job_id
   FOR UPDATE
"""
_PAYMENTS_AMONG = """
SELECT tenant_id, payment_id FROM jobs.payments
 WHERE (tenant_id, payment_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
"""
_LOAD_MANY = _LOAD.replace(
    "WHERE j.tenant_id = $1 AND j.job_id = $2",
    "WHERE (j.tenant_id, j.job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))",
)

# Subjobs whose bill_on has come in their tenant's zone; SKIP LOCKED lets several
# schedulers (one per relay process) share them, as the scheduled communications do.
_DUE_SUBJOBS = """
SELECT j.tenant_id, j.job_id FROM jobs.jobs j JOIN jobs.tenants t USING (tenant_id)
 WHERE NOT j.billable AND j.step = 'awaiting_billing'
   AND j.bill_on <= ($1::timestamptz AT TIME ZONE t.time_zone)::date
 ORDER BY j.bill_on, j.tenant_id, j.job_id
 LIMIT $2 FOR UPDATE OF j SKIP LOCKED
"""


def _job_from_row(row: asyncpg.Record) -> Job:
    return Job(
        tenant_id=row["tenant_id"],
        job_id=row["job_id"],
        job_number=row["job_number"],
        customer_id=row["customer_id"],
        property_id=row["property_id"],
        technician_id=row["technician_id"],
        summary=row["summary"],
        step=Step(row["step"]),
        scheduled_start=row["scheduled_start"],
        scheduled_end=row["scheduled_end"],
        currency=row["currency"],
        tax_rate=row["tax_rate"],
        line_items=tuple(commands.LineItem(*line) for line in row["lines"]),
        total=row["total"],
        amount_paid=row["amount_paid"],
        completed_at=row["completed_at"],
        dispatches={
            v[0]: Dispatch(v[0], v[1], v[2], v[3], DispatchStatus(v[4])) for v in row["visits"]
        },
        deferred_at=row["deferred_at"],
        deferral_reason=row["deferral_reason"],
        parent_job_id=row["parent_job_id"],
        share=Share(row["job_id"], row["share_amount"], row["share_percent"], row["share_tax"])
        if row["parent_job_id"]
        else None,
        bill_on=row["bill_on"],
        billable=row["billable"],
        subjob_shares=[Share(*share) for share in row["shares"]],
        recall_of=row["recall_of"],
    )


class PostgresJobRepository(JobRepository):
    """The jobs of one transaction. A batch shares one among its messages: ``seen`` is
    what the current message touched, ``take_touched`` hands that over and starts anew."""

    def __init__(self, conn: Connection, writer: RowWriter, cache: JobCache | None = None) -> None:
        self._conn, self._writer, self._cache = conn, writer, cache
        self._loaded: dict[tuple[str, UUID], Job] = {}
        # Each loaded or written job's version as this transaction leaves it (job_cache).
        self._versions: dict[tuple[str, UUID], int] = {}
        self._absent: set[tuple[str, UUID]] = set()
        self._touched: dict[tuple[str, UUID], Job] = {}
        self._new: set[tuple[str, UUID]] = set()
        # Payments: recorded in this transaction, or looked up (True if in the table).
        self._recorded: set[tuple[str, UUID]] = set()
        self._payments: dict[tuple[str, UUID], bool] = {}
        # The payment rows of this transaction, by job (sent or not): what an invoice
        # snapshot prints of them without reading them back.
        self._payment_rows: dict[tuple[str, UUID], list[PaymentInsert]] = {}

    async def get(self, tenant_id: str, job_id: UUID) -> Job | None:
        key = (tenant_id, job_id)
        job = self._loaded.get(key)
        if job is None:
            if key in self._absent:
                return None
            job = await self._lock_and_load(tenant_id, job_id)
            if job is None:
                return None
        self._touched[key] = job
        return job

    async def _lock_and_load(self, tenant_id: str, job_id: UUID) -> Job | None:
        # Lock first, then read: under READ COMMITTED each statement takes a new snapshot,
        # so the load sees everything committed by whoever held the lock before us (a
        # single locking statement would re-check the job row but not its subqueries).
        locked = await self._conn.fetchval(
            "SELECT true FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2 FOR UPDATE",
            tenant_id,
            job_id,
        )
        row = await self._conn.fetchrow(_LOAD, tenant_id, job_id) if locked else None
        if row is None:
            return None
        job = self._loaded[(tenant_id, job_id)] = _job_from_row(row)
        self._versions[(tenant_id, job_id)] = row["version"]
        return job

    async def get_many(self, keys: Iterable[tuple[str, UUID]]) -> list[Job]:
        """Lock and load many jobs with two statements. Locks are taken in (tenant, id)
        order, as every other locker of several jobs does, so lockers never wait in a
        cycle; missing jobs are left out (and known to be missing). Jobs the cache keeps
        at the version just locked are not loaded again (``job_cache``)."""
        keys = list(keys)
        wanted = sorted(set(keys) - self._loaded.keys() - self._absent)
        if wanted:
            locked = await self._conn.fetch(
                _LOCK_MANY, [t for t, _ in wanted], [j for _, j in wanted]
            )
            load = [(row[0], row[1]) for row in locked]
            if self._cache is not None:
                load = self._cache.take_locked(locked, self._loaded, self._versions)
            if load:
                for row in await self._conn.fetch(
                    _LOAD_MANY, [t for t, _ in load], [j for _, j in load]
                ):
                    key = (row["tenant_id"], row["job_id"])
                    self._loaded[key], self._versions[key] = _job_from_row(row), row["version"]
            self._absent.update(key for key in wanted if key not in self._loaded)
        return [self._loaded[key] for key in keys if key in self._loaded]

    def keep_committed(self) -> None:
        """Hand the cache (if any) every job of this transaction, now committed."""
        if self._cache is not None:
            self._cache.keep(self._loaded, self._versions)

    async def look_up_payments(self, keys: Iterable[tuple[str, UUID]]) -> None:
        """Whether each payment is in the table, in one statement (``has_payment`` then
        answers from memory)."""
        wanted = set(keys) - self._payments.keys()
        if not wanted:
            return
        found = await self._conn.fetch(
            _PAYMENTS_AMONG, [t for t, _ in wanted], [p for _, p in wanted]
        )
        self._payments.update(dict.fromkeys(wanted, False))
        self._payments.update(((r["tenant_id"], r["payment_id"]), True) for r in found)

    def add(self, job: Job) -> None:
        key = (job.tenant_id, job.job_id)
        self._loaded[key] = self._touched[key] = job
        self._new.add(key)

    async def has_payment(self, tenant_id: str, payment_id: UUID) -> bool:
        key = (tenant_id, payment_id)
        if key in self._recorded:
            return True
        if key not in self._payments:
            await self.look_up_payments([key])
        return self._payments[key]

    async def originals_of(self, tenant_id: str, job_id: UUID) -> frozenset[UUID]:
        await self._writer.send()  # the walk must see links recorded earlier in the batch
        chain = await self._conn.fetch(
            """WITH RECURSIVE up(job_id) AS (
                   SELECT original_job_id FROM jobs.recall_links
                    WHERE tenant_id = $1 AND recall_job_id = $2 AND unlinked_at IS NULL
                   UNION
                   SELECT r.original_job_id FROM jobs.recall_links r JOIN up
                       ON r.tenant_id = $1 AND r.recall_job_id = up.job_id
                      AND r.unlinked_at IS NULL)
               SELECT job_id FROM up""",
            tenant_id,
            job_id,
        )
        return frozenset(r["job_id"] for r in chain)

    def payments_recorded(self, tenant_id: str, job_id: UUID) -> list[PaymentInsert]:
        """The job's payments recorded in this transaction, in order."""
        return self._payment_rows.get((tenant_id, job_id), [])

    def seen(self) -> list[Job]:
        return list(self._touched.values())

    async def due_subjobs(self, at: datetime, limit: int) -> list[Job]:
        await self._writer.send()  # subjobs scheduled earlier in the transaction
        due = await self._conn.fetch(_DUE_SUBJOBS, at, limit)
        found = [await self.get(r["tenant_id"], r["job_id"]) for r in due]
        return [job for job in found if job is not None]

    def take_touched(self) -> list[Job]:
        """The jobs the current message touched; the next message starts with none."""
        touched = list(self._touched.values())
        self._touched.clear()
        return touched

    def forget(self) -> None:
        """Drop tracked jobs (after a savepoint rollback their state is stale)."""
        self._loaded.clear()
        self._versions.clear()
        self._touched.clear()
        self._new.clear()
        self._recorded.clear()
        self._payment_rows.clear()

    def save(self, job: Job, causation: Causation) -> None:
        """Hand the writer the job's row (inserted if new, updated if it recorded events)
        and the rows its events imply."""
        key = (job.tenant_id, job.job_id)
        new = key in self._new
        if not (new or job.events):
            return
        self._new.discard(key)
        # The insert leaves version 1 (the column's default), each update one more.
        self._versions[key] = 1 if new else self._versions.get(key, -1) + 1
        written = job_rows.rows_of(job, causation, new=new)
        self._writer.extend(written)
        for row in written:
            if type(row) is PaymentInsert:
                self._recorded.add((row.tenant_id, row.payment_id))
                self._payment_rows.setdefault(key, []).append(row)
