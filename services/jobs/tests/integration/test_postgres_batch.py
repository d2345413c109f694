"""Many facts in one transaction (adapters/postgres_batch.py): the same rows, in the same
order, as one message at a time; a duplicate is skipped; a refusal changes nothing. Jobs
kept between batches (adapters/job_cache.py) are used only at the version the batch just
locked, and handed back only by a batch that committed."""

import json
from dataclasses import replace
from datetime import timedelta, timezone
from functools import partial
from uuid import uuid4

import asyncpg
import pytest

from jobline_jobs.adapters.job_cache import JobCache
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.batches import BatchAborted, handle_batch
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job

pytestmark = pytest.mark.integration


def causation() -> Causation:
    message_id = uuid4()
    return Causation("test-batch", message_id, "job.test", message_id, T0, "upstream")


def story(tenant: str) -> list[commands.Command]:
    """A job's facts from dispatch to paid (its total is 100.00)."""
    job = replace(dispatch_job(tenant), job_number=f"J-{uuid4().hex[:8]}")
    visit, jid = job.first_visit.dispatch_id, job.job_id
    total = sum(li.quantity * li.unit_price for li in job.line_items)
    return [
        job,
        commands.ChangeDispatchStatus(tenant, T0, jid, visit, "en_route"),
        commands.StartJob(tenant, T0, jid),
        commands.ChangeDispatchStatus(tenant, T0, jid, visit, "completed"),
        commands.CompleteWork(tenant, T0, jid, T0),
        commands.RecordQualityCheck(tenant, T0, jid, passed=True, notes=None),
        commands.IssueInvoice(tenant, T0, jid),
        commands.RecordPayment(tenant, T0, jid, uuid4(), total, "card"),
    ]


def interleaved(tenant: str, jobs: int) -> list[tuple[commands.Command, Causation]]:
    stories = [story(tenant) for _ in range(jobs)]
    return [(s[n], causation()) for n in range(len(stories[0])) for s in stories]


async def written(db: asyncpg.Pool, tenant: str) -> dict[str, object]:
    """What the facts left behind, without ids that differ between runs."""
    jobs = await db.fetch(
        "SELECT job_id, step, amount_paid FROM jobs.jobs WHERE tenant_id = $1 ORDER BY 1", tenant
    )
    lifecycle = await db.fetch(
        "SELECT key, value FROM jobs.outbox WHERE topic = 'jobs.lifecycle.v1'"
        " AND key = ANY($1::bytea[]) ORDER BY outbox_id",
        [str(j["job_id"]).encode() for j in jobs],
    )
    per_job: dict[bytes, list[str]] = {}
    for row in lifecycle:
        per_job.setdefault(row["key"], []).append(json.loads(row["value"])["type"])
    history = await db.fetchval(
        "SELECT count(*) FROM jobs.dispatch_status_history WHERE tenant_id = $1", tenant
    )
    timeline = await db.fetchval("SELECT count(*) FROM jobs.timeline WHERE tenant_id = $1", tenant)
    return {
        "steps": sorted((j["step"], str(j["amount_paid"])) for j in jobs),
        "events": sorted(per_job.values()),
        "history": history,
        "timeline": timeline,
    }


async def test_a_batch_writes_what_one_message_at_a_time_writes(
    db: asyncpg.Pool, tenant: str
) -> None:
    other_tenant = f"t-{uuid4().hex[:10]}"
    async with db.acquire() as conn:
        await add_tenant(conn, other_tenant, "Other Plumbing", "America/Denver", "USD")
    items = interleaved(tenant, 5)
    outcomes = await handle_batch(lambda: PostgresBatch(db), items)
    assert outcomes == [Outcome.APPLIED] * len(items)

    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    for command, why in interleaved(other_tenant, 5):
        assert await bus.handle(command, why) is Outcome.APPLIED

    batched, one_by_one = await written(db, tenant), await written(db, other_tenant)
    assert batched == one_by_one
    assert [step for step, _paid in batched["steps"]] == ["paid"] * 5  # type: ignore[attr-defined]


async def test_a_redelivered_batch_is_a_no_op(db: asyncpg.Pool, tenant: str) -> None:
    items = interleaved(tenant, 2)
    await handle_batch(lambda: PostgresBatch(db), items)
    before = await written(db, tenant)
    again = await handle_batch(lambda: PostgresBatch(db), items)
    assert again == [Outcome.DUPLICATE] * len(items)
    assert await written(db, tenant) == before


async def test_a_refused_fact_aborts_the_batch_and_changes_nothing(
    db: asyncpg.Pool, tenant: str
) -> None:
    items = interleaved(tenant, 2)
    job_id = items[0][0].job_id  # type: ignore[attr-defined]
    refused = commands.IssueInvoice(tenant, T0, job_id)  # open for dispatch: impossible
    with pytest.raises(BatchAborted):
        await handle_batch(lambda: PostgresBatch(db), [*items[:4], (refused, causation())])
    assert await db.fetchval("SELECT count(*) FROM jobs.jobs WHERE tenant_id = $1", tenant) == 0
    claimed = await db.fetchval(
        "SELECT count(*) FROM jobs.processed_messages WHERE message_id = ANY($1::uuid[])",
        [why.message_id for _, why in items],
    )
    assert claimed == 0


async def test_kept_jobs_write_what_loaded_jobs_write(db: asyncpg.Pool, tenant: str) -> None:
    """Each fact of five jobs in its own batch: with a cache, every batch after the first
    of a job takes it from the cache, and the rows are those of the batches without."""
    other = f"t-{uuid4().hex[:10]}"
    async with db.acquire() as conn:
        await add_tenant(conn, other, "Other Plumbing", "America/Denver", "USD")
    cache = JobCache()
    for item in interleaved(tenant, 5):
        await handle_batch(lambda: PostgresBatch(db, cache), [item])
    for item in interleaved(other, 5):
        await handle_batch(lambda: PostgresBatch(db), [item])
    assert len(cache) == 5
    assert await written(db, tenant) == await written(db, other)


async def test_a_job_changed_by_another_writer_is_loaded_again(
    db: asyncpg.Pool, tenant: str
) -> None:
    items = interleaved(tenant, 1)
    cache = JobCache()
    await handle_batch(lambda: PostgresBatch(db, cache), items[:2])  # dispatched, en route
    job_id = items[0][0].job_id  # type: ignore[attr-defined]
    # The per-message path (an API action, another consumer) moves the job on: it is
    # in progress now, which the kept copy does not know.
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    assert await bus.handle(items[2][0], items[2][1]) is Outcome.APPLIED

    # Completing the visit, then the work, needs the job in progress: the batch must
    # have loaded it again rather than taken the stale copy.
    outcomes = await handle_batch(lambda: PostgresBatch(db, cache), items[3:5])
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]
    step = await db.fetchval(
        "SELECT step FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2", tenant, job_id
    )
    assert step == "awaiting_quality_check"


async def test_a_failed_batch_hands_back_nothing(db: asyncpg.Pool, tenant: str) -> None:
    items = interleaved(tenant, 1)
    cache = JobCache()
    await handle_batch(lambda: PostgresBatch(db, cache), items[:1])
    assert len(cache) == 1
    job_id = items[0][0].job_id  # type: ignore[attr-defined]
    refused = commands.IssueInvoice(tenant, T0, job_id)  # open for dispatch: impossible
    with pytest.raises(BatchAborted):
        # The visit moved on in memory before the refusal aborted the batch.
        await handle_batch(lambda: PostgresBatch(db, cache), [items[1], (refused, causation())])
    assert len(cache) == 0
    # And the rest of the story applies on what the database holds.
    outcomes = await handle_batch(lambda: PostgresBatch(db, cache), items[1:])
    assert set(outcomes) == {Outcome.APPLIED}
    assert (await written(db, tenant))["steps"] == [("paid", "100.00")]


async def test_a_kept_job_prints_its_times_as_a_loaded_job_does(
    db: asyncpg.Pool, tenant: str
) -> None:
    """Work completed at -06:00 upstream: the events of later batches print the time as
    a job loaded from PostgreSQL does (UTC), kept or not."""
    other = f"t-{uuid4().hex[:10]}"
    async with db.acquire() as conn:
        await add_tenant(conn, other, "Other Plumbing", "America/Denver", "USD")
    chicago = timezone(timedelta(hours=-6))
    printed = []
    for owner, cache in ((tenant, JobCache()), (other, None)):
        facts = story(owner)
        done = replace(facts[4], completed_at=T0.astimezone(chicago))  # CompleteWork
        for command in [*facts[:4], done, *facts[5:]]:  # each in its own batch
            batch = partial(PostgresBatch, db, cache)
            await handle_batch(batch, [(command, causation())])
        invoiced = await db.fetchval(
            """SELECT value FROM jobs.outbox WHERE key = $1
                AND value LIKE '%"to_step":"awaiting_payment"%'""",
            str(facts[0].job_id).encode(),  # type: ignore[attr-defined]
        )
        printed.append(json.loads(invoiced)["payload"]["completed_at"])
    assert printed[0] == printed[1]
    assert printed[0].endswith("Z")
