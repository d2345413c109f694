"""A batch freezes invoice snapshots without sending its rows early
(adapters/snapshot_sources.py): what they print beyond the job is read ahead for all the
batch's invoiced jobs, one statement each, and a party upserted in the batch is printed
as upserted by the snapshots frozen after it, as one message at a time does."""

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.batches import handle_batch
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job

pytestmark = pytest.mark.integration


def causation() -> Causation:
    message_id = uuid4()
    return Causation("test-snapshots", message_id, "job.test", message_id, T0, "upstream")


def ready_to_invoice(tenant: str, customer: UUID, number: str) -> list[commands.Command]:
    """A job of ``customer`` from dispatch to awaiting billing."""
    job = replace(dispatch_job(tenant), customer_id=customer, job_number=number)
    visit, jid = job.first_visit.dispatch_id, job.job_id
    return [
        job,
        commands.ChangeDispatchStatus(tenant, T0, jid, visit, "en_route"),
        commands.StartJob(tenant, T0, jid),
        commands.CompleteWork(tenant, T0, jid, T0),
        commands.RecordQualityCheck(tenant, T0, jid, passed=True, notes=None),
    ]


def renamed(tenant: str, customer: UUID, name: str) -> commands.UpsertCustomer:
    return commands.UpsertCustomer(tenant, T0, customer, name, (), None)


async def set_up(db: asyncpg.Pool, tenant: str, customer: UUID, jobs: int) -> list[UUID]:
    """``jobs`` jobs of one customer, awaiting billing, committed; their ids."""
    stories = [ready_to_invoice(tenant, customer, f"J-{n}") for n in range(jobs)]
    items = [(renamed(tenant, customer, "Dana Whitfield"), causation())]
    items += [(command, causation()) for story in stories for command in story]
    assert set(await handle_batch(lambda: PostgresBatch(db), items)) == {Outcome.APPLIED}
    return [story[0].job_id for story in stories]  # type: ignore[attr-defined]


async def revisions(db: asyncpg.Pool, job_ids: list[UUID]) -> list[tuple[Any, ...]]:
    """Each job's revisions: what they print of the customer and the payments, their sha."""
    rows = await db.fetch(
        """SELECT j.job_number, r.revision, r.snapshot, r.snapshot_sha256
             FROM jobs.invoice_revisions r JOIN jobs.jobs j USING (tenant_id, job_id)
            WHERE r.job_id = ANY($1::uuid[]) ORDER BY j.job_number, r.revision""",
        job_ids,
    )
    return [
        (
            r["job_number"],
            r["revision"],
            json.loads(r["snapshot"])["customer_name"],
            json.loads(r["snapshot"])["payments"],
            r["snapshot_sha256"],
        )
        for r in rows
    ]


@pytest.fixture
async def two_tenants(db: asyncpg.Pool) -> tuple[str, str]:
    """Two tenants alike, for the batch path and the one-message path."""
    tenants = (f"t-{uuid4().hex[:10]}", f"t-{uuid4().hex[:10]}")
    async with db.acquire() as conn:
        for tenant in tenants:
            await add_tenant(conn, tenant, "Test Plumbing", "America/Denver", "USD")
    return tenants


def invoicing(tenant: str, customer: UUID, jobs: list[UUID]) -> list[commands.Command]:
    """Issue the first job's invoice; rename the customer; issue the second's; pay the
    first twice (two revisions, the second printing the first payment)."""
    first, second = jobs
    return [
        commands.IssueInvoice(tenant, T0, first),
        renamed(tenant, customer, "Dana Park"),
        commands.IssueInvoice(tenant, T0, second),
        commands.RecordPayment(tenant, T0, first, uuid4(), Decimal("40"), "card"),
        commands.RecordPayment(tenant, T0, first, uuid4(), Decimal("60.5"), "cash"),
    ]


async def test_snapshots_of_a_batch_print_what_one_message_at_a_time_prints(
    db: asyncpg.Pool, two_tenants: tuple[str, str]
) -> None:
    batched_tenant, single_tenant = two_tenants
    customers = uuid4(), uuid4()
    batched_jobs = await set_up(db, batched_tenant, customers[0], 2)
    single_jobs = await set_up(db, single_tenant, customers[1], 2)

    items = [(c, causation()) for c in invoicing(batched_tenant, customers[0], batched_jobs)]
    assert set(await handle_batch(lambda: PostgresBatch(db), items)) == {Outcome.APPLIED}
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    for command in invoicing(single_tenant, customers[1], single_jobs):
        assert await bus.handle(command, causation()) is Outcome.APPLIED

    batched, one_by_one = await revisions(db, batched_jobs), await revisions(db, single_jobs)
    assert [r[2] for r in batched] == ["Dana Whitfield", "Dana Park", "Dana Park", "Dana Park"]
    assert [len(r[3]) for r in batched] == [0, 1, 2, 0]  # J-0's revisions 1-3, J-1's
    assert batched[2][3][0]["amount"] == "40.00"  # as stored, whichever path printed it
    assert batched == one_by_one  # to the byte: the same sha256


async def test_a_batch_reads_its_snapshot_sources_once_and_sends_its_rows_once(
    db: asyncpg.Pool, database_url: str, tenant: str
) -> None:
    statements: list[str] = []

    async def logged(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda query: statements.append(query.query))

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1, init=logged)
    try:
        jobs = await set_up(pool, tenant, uuid4(), 3)
        items = [(commands.IssueInvoice(tenant, T0, job), causation()) for job in jobs]
        items += [
            (commands.RecordPayment(tenant, T0, job, uuid4(), Decimal(10), "card"), causation())
            for job in jobs
        ]
        statements.clear()
        assert set(await handle_batch(lambda: PostgresBatch(pool), items)) == {Outcome.APPLIED}
    finally:
        await pool.close()

    def count(*fragments: str) -> int:
        return sum(all(f in statement for f in fragments) for statement in statements)

    assert count("AS k(tenant_id, job_id, customer_id") == 1  # the three jobs' parties
    assert count("FROM jobs.payments", "(tenant_id, job_id) IN") == 1
    assert count("invoice_title", "FROM jobs.tenants WHERE tenant_id = ANY") == 1
    # At commit, not before each snapshot: the lifecycle's, then the jobs' state (which
    # reads what the first wrote).
    assert count("INSERT INTO jobs.outbox") == 2
    assert len(await revisions(db, jobs)) == 6
