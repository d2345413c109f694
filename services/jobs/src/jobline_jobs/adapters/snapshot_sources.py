"""What an invoice snapshot is built from beyond the job aggregate (``SnapshotSources``),
read without sending the transaction's pending rows.

The job itself is the aggregate in memory. What it names is read from PostgreSQL: its
parties (customer, property, technician), the payments stored before this transaction,
the tenant's profile. None of those is written by the pending rows of a batch: parties
are upserted at once (a dispatch's pending placeholders carry no name or address, so a
party known only by its placeholder prints as one not in the table), and the payments
this transaction recorded come from the job repository. A batch looks these up for all
its invoiced jobs with one statement each (:meth:`SnapshotReads.look_up`); anything not
looked up is read when asked, one job at a time. A subjob's schedule and its parent's
number are read after sending what is pending (its siblings may be among them).
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.directory import PostgresDirectory
from jobline_jobs.adapters.job_repository import PostgresJobRepository
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.adapters.tenant_settings import tenant_profiles
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer.unit_of_work import SnapshotSources

JobKey = tuple[str, UUID]
# A job's parties as of its aggregate: a reassigned technician is another key.
PartyKey = tuple[str, UUID, UUID, UUID, UUID]

_PARTIES = """
SELECT k.tenant_id, k.job_id, k.customer_id, k.property_id, k.technician_id,
       c.name AS customer_name, c.billing_address, p.address_text AS property_address,
       p.address AS property_address_parts, t.name AS technician_name
  FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[])
       AS k(tenant_id, job_id, customer_id, property_id, technician_id)
  LEFT JOIN jobs.customers c ON c.tenant_id = k.tenant_id AND c.customer_id = k.customer_id
  LEFT JOIN jobs.properties p ON p.tenant_id = k.tenant_id AND p.property_id = k.property_id
  LEFT JOIN jobs.technicians t ON t.tenant_id = k.tenant_id
                              AND t.technician_id = k.technician_id
"""
_PAYMENTS = """
SELECT tenant_id, job_id, payment_id, amount, method, recorded_at FROM jobs.payments
 WHERE (tenant_id, job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
 ORDER BY recorded_at
"""
_SUBJOBS = """
SELECT job_id, job_number, summary AS title, share_percent, share_amount, share_tax,
       bill_on, step
  FROM jobs.jobs WHERE tenant_id = $1 AND parent_job_id = $2
 ORDER BY length(job_number), job_number
"""
_CENT = Decimal("0.01")  # payments.amount is numeric(14, 2): a stored amount reads so


def _job_key(job: Job) -> JobKey:
    return (job.tenant_id, job.job_id)


def _party_key(job: Job) -> PartyKey:
    return (job.tenant_id, job.job_id, job.customer_id, job.property_id, job.technician_id)


def _address(raw: str | None) -> dict[str, Any] | None:
    return None if raw is None else msgspec.json.decode(raw, type=dict[str, Any])


class SnapshotReads:
    """The reads of one transaction's invoice snapshots (see the module)."""

    def __init__(
        self,
        conn: Connection,
        writer: RowWriter,
        jobs: PostgresJobRepository,
        directory: PostgresDirectory,
    ) -> None:
        self._conn, self._writer, self._jobs, self._directory = conn, writer, jobs, directory
        self._parties: dict[PartyKey, dict[str, Any]] = {}
        self._parties_as_of = directory.upserts  # an upsert in the transaction makes them stale
        self._payments: dict[JobKey, list[dict[str, Any]]] = {}
        self._tenants: dict[str, dict[str, Any]] = {}

    async def look_up(self, jobs: Iterable[Job]) -> None:
        """The parties, stored payments and tenants of ``jobs``, one statement each."""
        self._fresh_parties()
        jobs = list(jobs)
        parties = [key for key in map(_party_key, jobs) if key not in self._parties]
        if parties:
            columns = (list(column) for column in zip(*parties, strict=True))
            for row in await self._conn.fetch(_PARTIES, *columns):
                self._parties[tuple(row[:5])] = _parties_of(row)
        paid = sorted({_job_key(job) for job in jobs} - self._payments.keys())
        if paid:
            for key in paid:
                self._payments[key] = []
            rows = await self._conn.fetch(_PAYMENTS, [t for t, _ in paid], [j for _, j in paid])
            for row in rows:
                self._payments[(row["tenant_id"], row["job_id"])].append(dict(row))
        await self.look_up_tenants({job.tenant_id for job in jobs})

    async def look_up_tenants(self, tenant_ids: set[str]) -> None:
        wanted = tenant_ids - self._tenants.keys()
        if wanted:
            found = await tenant_profiles(self._conn, wanted)
            self._tenants.update((tenant_id, found.get(tenant_id, {})) for tenant_id in wanted)

    async def tenant(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's profile (``tenant_settings.tenant_profile``); empty if none."""
        await self.look_up_tenants({tenant_id})
        return self._tenants[tenant_id]

    async def sources(self, job: Job) -> SnapshotSources:
        self._fresh_parties()
        if _party_key(job) not in self._parties or _job_key(job) not in self._payments:
            await self.look_up([job])
        printed: dict[str, Any] = {
            **self._parties[_party_key(job)],
            "completed_at": job.completed_at,
            "parent_job_id": job.parent_job_id,
            "payments": self._payments_of(job),
        }
        tenant = await self.tenant(job.tenant_id)
        if job.parent_job_id is None:
            return SnapshotSources(printed, tenant, [], None)
        await self._writer.send()  # a subjob's siblings may be among the pending rows
        schedule = await self._conn.fetch(_SUBJOBS, job.tenant_id, job.parent_job_id)
        parent_number = await self._conn.fetchval(
            "SELECT job_number FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
            job.tenant_id,
            job.parent_job_id,
        )
        return SnapshotSources(printed, tenant, [dict(r) for r in schedule], parent_number)

    def _payments_of(self, job: Job) -> list[dict[str, Any]]:
        """Stored before this transaction, then recorded in it (as stored: to the cent)."""
        stored = self._payments[_job_key(job)]
        known = {p["payment_id"] for p in stored}
        recorded = [
            {
                "payment_id": p.payment_id,
                "amount": p.amount.quantize(_CENT),
                "method": p.method,
                "recorded_at": p.recorded_at,
            }
            for p in self._jobs.payments_recorded(job.tenant_id, job.job_id)
            if p.payment_id not in known
        ]
        return [*stored, *recorded]

    def _fresh_parties(self) -> None:
        if self._parties_as_of != self._directory.upserts:
            self._parties.clear()
            self._parties_as_of = self._directory.upserts

    def forget(self) -> None:
        """Drop what was read (after a savepoint rollback)."""
        self._parties.clear()
        self._payments.clear()
        self._tenants.clear()


def _parties_of(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "customer_name": row["customer_name"],
        "billing_address": _address(row["billing_address"]),
        "property_address": row["property_address"],
        "property_address_parts": _address(row["property_address_parts"]),
        "technician_name": row["technician_name"],
    }
