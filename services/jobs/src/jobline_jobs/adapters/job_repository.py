"""Jobs in PostgreSQL. Loading a job locks its row until the unit of work ends, which
is what keeps outbox ids in commit order per job."""

from collections.abc import Iterable
from uuid import UUID

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.domain import commands
from jobline_jobs.domain.billing import Share
from jobline_jobs.domain.model import Dispatch, Job
from jobline_jobs.domain.workflow import DispatchStatus, Step
from jobline_jobs.service_layer.unit_of_work import JobRepository

_LOAD = """
SELECT j.*,
       array(SELECT (d.dispatch_id, d.technician_id, d.window_start, d.window_end, d.status)
               FROM jobs.dispatches d
              WHERE d.tenant_id = j.tenant_id AND d.job_id = j.job_id) AS visits,
       array(SELECT (l.line_id, l.code, l.description, l.quantity, l.unit_price, l.taxable)
               FROM jobs.line_items l
              WHERE l.tenant_id = j.tenant_id AND l.job_id = j.job_id
              ORDER BY l.position) AS lines,
       array(SELECT (s.job_id, s.share_amount, s.share_percent)
               FROM jobs.jobs s
              WHERE s.tenant_id = j.tenant_id AND s.parent_job_id = j.job_id
              ORDER BY s.job_number) AS shares,
       (SELECT r.original_job_id FROM jobs.recall_links r
         WHERE r.tenant_id = j.tenant_id AND r.recall_job_id = j.job_id) AS recall_of
  FROM jobs.jobs j
 WHERE j.tenant_id = $1 AND j.job_id = $2
"""


_LOCK_MANY = """
SELECT 1 FROM jobs.jobs
 WHERE (tenant_id, job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
 ORDER BY tenant_id, job_id
   FOR UPDATE
"""
_LOAD_MANY = _LOAD.replace(
    "WHERE j.tenant_id = $1 AND j.job_id = $2",
    "WHERE (j.tenant_id, j.job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))",
)


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
        share=Share(row["job_id"], row["share_amount"], row["share_percent"])
        if row["parent_job_id"]
        else None,
        bill_on=row["bill_on"],
        subjob_shares=[Share(*share) for share in row["shares"]],
        recall_of=row["recall_of"],
    )


class PostgresJobRepository(JobRepository):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[tuple[str, UUID], Job] = {}
        self.new: set[tuple[str, UUID]] = set()

    async def get(self, tenant_id: str, job_id: UUID) -> Job | None:
        if (tenant_id, job_id) in self._seen:
            return self._seen[(tenant_id, job_id)]
        # Lock first, then read: under READ COMMITTED each statement takes a new snapshot,
        # so the load sees everything committed by whoever held the lock before us (a
        # single locking statement would re-check the job row but not its subqueries).
        locked = await self._conn.fetchval(
            "SELECT true FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2 FOR UPDATE",
            tenant_id,
            job_id,
        )
        if not locked:
            return None
        row = await self._conn.fetchrow(_LOAD, tenant_id, job_id)
        if row is None:
            return None
        job = _job_from_row(row)
        self._seen[(tenant_id, job_id)] = job
        return job

    async def get_many(self, keys: Iterable[tuple[str, UUID]]) -> list[Job]:
        """Lock and load many jobs with two statements. Locks are taken in (tenant, id)
        order, as every other locker of several jobs does, so lockers never wait in a
        cycle; missing jobs are left out."""
        keys = list(keys)
        wanted = sorted(set(keys) - self._seen.keys())
        if wanted:
            tenants, ids = [t for t, _ in wanted], [j for _, j in wanted]
            await self._conn.execute(_LOCK_MANY, tenants, ids)
            for row in await self._conn.fetch(_LOAD_MANY, tenants, ids):
                self._seen[(row["tenant_id"], row["job_id"])] = _job_from_row(row)
        return [self._seen[key] for key in keys if key in self._seen]

    def add(self, job: Job) -> None:
        self._seen[(job.tenant_id, job.job_id)] = job
        self.new.add((job.tenant_id, job.job_id))

    async def has_payment(self, tenant_id: str, payment_id: UUID) -> bool:
        found = await self._conn.fetchval(
            "SELECT 1 FROM jobs.payments WHERE tenant_id = $1 AND payment_id = $2",
            tenant_id,
            payment_id,
        )
        return found is not None

    async def originals_of(self, tenant_id: str, job_id: UUID) -> frozenset[UUID]:
        chain = await self._conn.fetch(
            """WITH RECURSIVE up(job_id) AS (
                   SELECT original_job_id FROM jobs.recall_links
                    WHERE tenant_id = $1 AND recall_job_id = $2
                   UNION
                   SELECT r.original_job_id FROM jobs.recall_links r JOIN up
                       ON r.tenant_id = $1 AND r.recall_job_id = up.job_id)
               SELECT job_id FROM up""",
            tenant_id,
            job_id,
        )
        return frozenset(r["job_id"] for r in chain)

    def seen(self) -> list[Job]:
        return list(self._seen.values())

    def forget(self) -> None:
        """Drop tracked jobs (after a savepoint rollback their state is stale)."""
        self._seen.clear()
        self.new.clear()

    async def save(self, job: Job) -> None:
        """Write the job row (insert if new) and its line items when new."""
        if (job.tenant_id, job.job_id) in self.new:
            await self._insert(job)
            return
        await self._conn.execute(
            """UPDATE jobs.jobs
                  SET step = $3, scheduled_start = $4, scheduled_end = $5, completed_at = $6,
                      amount_paid = $7, deferred_at = $8, deferral_reason = $9,
                      updated_at = now(), version = version + 1
                WHERE tenant_id = $1 AND job_id = $2""",
            job.tenant_id,
            job.job_id,
            job.step.value,
            job.scheduled_start,
            job.scheduled_end,
            job.completed_at,
            job.amount_paid,
            job.deferred_at,
            job.deferral_reason,
        )

    async def _insert(self, job: Job) -> None:
        await self._conn.execute(
            """INSERT INTO jobs.jobs (tenant_id, job_id, job_number, customer_id, property_id,
                   technician_id, summary, step, scheduled_start, scheduled_end, completed_at,
                   currency, tax_rate, total, amount_paid, search_text, parent_job_id,
                   share_percent, share_amount, bill_on)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                       jobs.search_text_of($1, $3, $4, $5), $16, $17, $18, $19)""",
            job.tenant_id,
            job.job_id,
            job.job_number,
            job.customer_id,
            job.property_id,
            job.technician_id,
            job.summary,
            job.step.value,
            job.scheduled_start,
            job.scheduled_end,
            job.completed_at,
            job.currency,
            job.tax_rate,
            job.total,
            job.amount_paid,
            job.parent_job_id,
            job.share.percent if job.share else None,
            job.share.amount if job.share else None,
            job.bill_on,
        )
        await self._conn.executemany(
            """INSERT INTO jobs.line_items (tenant_id, job_id, line_id, position, code,
                   description, quantity, unit_price, taxable)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            [
                (
                    job.tenant_id,
                    job.job_id,
                    li.line_id,
                    position,
                    li.code,
                    li.description,
                    li.quantity,
                    li.unit_price,
                    li.taxable,
                )
                for position, li in enumerate(job.line_items)
            ],
        )
