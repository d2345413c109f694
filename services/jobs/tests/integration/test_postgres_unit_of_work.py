"""The message bus on the real PostgreSQL unit of work: claim, state, timeline and outbox
commit together; a rejection keeps the claim and writes a dead letter instead."""

import json
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage
from jobs_testing.builders import T0, dispatch_job

pytestmark = pytest.mark.integration

MIGRATIONS = Path(migrate.__code__.co_filename).parent / "migrations"


def causation(source: SourceMessage | None = None) -> Causation:
    message_id = uuid4()
    return Causation("test", message_id, "job.test", message_id, T0, "upstream", source)


@pytest.fixture
def bus(db: asyncpg.Pool) -> MessageBus:
    return MessageBus(lambda why: PostgresUnitOfWork(db, why))


async def outbox_for(db: asyncpg.Pool, key: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT topic, value, headers FROM jobs.outbox WHERE key = $1 ORDER BY outbox_id",
        key.encode(),
    )


async def test_migrations_are_recorded_and_applied_once(db: asyncpg.Pool):
    async with db.acquire() as conn:
        assert await migrate(conn) == []
        versions = await conn.fetch("SELECT version FROM jobs.schema_migrations ORDER BY 1")
    files = sorted(MIGRATIONS.glob("*.sql"))
    assert [r["version"] for r in versions] == [int(f.name[:4]) for f in files]


async def test_a_dispatched_job_commits_state_timeline_and_outbox_together(
    db: asyncpg.Pool, bus: MessageBus, tenant: str
):
    cmd = dispatch_job(tenant, tax_rate="0.1")
    assert await bus.handle(cmd, causation()) is Outcome.APPLIED

    job = await db.fetchrow("SELECT * FROM jobs.jobs WHERE tenant_id = $1", tenant)
    assert (job["step"], job["total"]) == ("open_dispatch", Decimal("110.00"))
    visits = await db.fetch(
        "SELECT status FROM jobs.dispatch_status_history WHERE tenant_id = $1", tenant
    )
    assert [v["status"] for v in visits] == ["scheduled"]
    outbox = await outbox_for(db, str(cmd.job_id))
    written = [(r["topic"], json.loads(r["value"])["type"]) for r in outbox]
    assert written == [
        ("jobs.lifecycle.v1", "job.created"),
        ("jobs.lifecycle.v1", "job.dispatch_assigned"),
        ("jobs.state.v1", "job.state"),  # the job after the change, off the timeline
    ]
    timeline = await db.fetch(
        "SELECT type FROM jobs.timeline WHERE tenant_id = $1 ORDER BY entry_id", tenant
    )
    assert [t["type"] for t in timeline] == [t for _, t in written[:2]]


async def test_a_loaded_job_keeps_its_visits_and_lines(
    db: asyncpg.Pool, bus: MessageBus, tenant: str
):
    cmd = dispatch_job(tenant)
    await bus.handle(cmd, causation())
    visit = cmd.first_visit.dispatch_id
    change = commands.ChangeDispatchStatus(tenant, T0, cmd.job_id, visit, "en_route")
    assert await bus.handle(change, causation()) is Outcome.APPLIED
    async with PostgresUnitOfWork(db, causation()) as uow:
        job = await uow.jobs.get(tenant, cmd.job_id)
    assert job is not None
    assert job.dispatches[visit].status.value == "en_route"
    assert job.line_items == cmd.line_items


async def test_redelivery_is_a_no_op(db: asyncpg.Pool, bus: MessageBus, tenant: str):
    cmd, why = dispatch_job(tenant), causation()
    await bus.handle(cmd, why)
    assert await bus.handle(cmd, why) is Outcome.DUPLICATE
    assert len(await outbox_for(db, str(cmd.job_id))) == 3  # two events and the state


async def test_a_rejection_keeps_the_claim_records_the_reason_and_dead_letters(
    db: asyncpg.Pool, bus: MessageBus, tenant: str
):
    cmd = dispatch_job(tenant)
    await bus.handle(cmd, causation())
    source = SourceMessage("dispatch.events.v1", 3, 42, str(cmd.job_id).encode(), b"{...}")
    why = causation(source)
    invoice = commands.IssueInvoice(tenant, T0, cmd.job_id)
    assert await bus.handle(invoice, why) is Outcome.REJECTED
    assert await bus.handle(invoice, why) is Outcome.DUPLICATE

    dead = (await outbox_for(db, str(cmd.job_id)))[-1]
    assert dead["topic"] == "dispatch.events.v1.dlq"
    assert dead["value"] == b"{...}"
    headers = json.loads(dead["headers"])
    assert headers["x-dlq-kind"] == "impossible_transition"
    assert headers["x-original-offset"] == "42"
    step = await db.fetchval("SELECT step FROM jobs.jobs WHERE job_id = $1", cmd.job_id)
    assert step == "open_dispatch"
    kinds = await db.fetch(
        "SELECT kind FROM jobs.timeline WHERE job_id = $1 ORDER BY entry_id", cmd.job_id
    )
    assert [k["kind"] for k in kinds] == ["event", "event", "rejected"]


async def test_a_clash_inside_the_handler_undoes_its_partial_writes(
    db: asyncpg.Pool, bus: MessageBus, tenant: str
):
    first = dispatch_job(tenant)
    await bus.handle(first, causation())
    # Same job number, new job id: the insert clashes after placeholders were written.
    clash = dispatch_job(tenant)
    assert await bus.handle(clash, causation()) is Outcome.REJECTED
    assert (
        await db.fetchval(
            "SELECT count(*) FROM jobs.customers WHERE tenant_id = $1 AND customer_id = $2",
            tenant,
            clash.customer_id,
        )
        == 0
    )
    assert await db.fetchval("SELECT count(*) FROM jobs.jobs WHERE tenant_id = $1", tenant) == 1
