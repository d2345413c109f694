"""``jobs.state.v1`` in the outbox (adapters/job_states.py): one snapshot per job a
transaction changed, in that transaction, equal to what the job's details read then; a
batch writes one per job however many of its facts touched it; a party's upsert and a
subjob's payment re-send the jobs that show them."""

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from jobline_contracts.state import JobState
from jobline_contracts.topics import JOBS_STATE
from jobline_jobs.adapters.job_details import JobDetails
from jobline_jobs.adapters.job_states import read_states
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.batches import handle_batch
from jobline_jobs.service_layer.job_state import job_state
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job

pytestmark = pytest.mark.integration


def causation() -> Causation:
    message_id = uuid4()
    return Causation("test-states", message_id, "job.test", message_id, T0, "upstream")


def new_job(tenant: str) -> commands.DispatchJob:
    return replace(dispatch_job(tenant), job_number=f"J-{uuid4().hex[:8]}")


def story(tenant: str) -> list[commands.Command]:
    """A job's facts from dispatch to paid."""
    job = new_job(tenant)
    visit, jid = job.first_visit.dispatch_id, job.job_id
    return [
        job,
        commands.ChangeDispatchStatus(tenant, T0, jid, visit, "en_route"),
        commands.StartJob(tenant, T0, jid),
        commands.ChangeDispatchStatus(tenant, T0, jid, visit, "completed"),
        commands.CompleteWork(tenant, T0, jid, T0),
        commands.RecordQualityCheck(tenant, T0, jid, passed=True, notes=None),
        commands.IssueInvoice(tenant, T0, jid),
        commands.RecordPayment(tenant, T0, jid, uuid4(), Decimal("100.00"), "card"),
    ]


async def snapshots(db: asyncpg.Pool, job_id: UUID) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE topic = $1 AND key = $2 ORDER BY outbox_id",
        JOBS_STATE.name,
        str(job_id).encode(),
    )
    return [json.loads(r["value"]) for r in rows]


async def detail_now(db: asyncpg.Pool, tenant: str, job_id: UUID) -> dict[str, Any]:
    """The job as ``GET /v1/jobs/{id}`` reads it now, as the snapshot's JSON."""
    job = await JobDetails(db).job(tenant, job_id)
    assert job is not None
    return json.loads(job_state(job).model_dump_json())


async def test_a_batch_writes_one_snapshot_per_job_equal_to_its_details(
    db: asyncpg.Pool, tenant: str
) -> None:
    stories = [story(tenant) for _ in range(3)]
    items = [(s[n], causation()) for n in range(len(stories[0])) for s in stories]

    assert set(await handle_batch(lambda: PostgresBatch(db), items)) == {Outcome.APPLIED}

    for facts in stories:
        job_id = facts[0].job_id  # type: ignore[attr-defined]
        (only,) = await snapshots(db, job_id)
        assert (only["type"], only["tenant_id"]) == ("job.state", tenant)
        assert only["payload"] == await detail_now(db, tenant, job_id)
        assert only["payload"]["step"] == "paid"
        # In the flow of the last fact that touched the job (its payment).
        assert only["causation_id"] == str(items[-3:][stories.index(facts)][1].message_id)


async def test_each_message_on_its_own_writes_its_job_s_snapshot(
    db: asyncpg.Pool, tenant: str
) -> None:
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    facts = story(tenant)
    job_id = facts[0].job_id  # type: ignore[attr-defined]

    for command in facts:
        assert await bus.handle(command, causation()) is Outcome.APPLIED

    written = await snapshots(db, job_id)
    assert [s["payload"]["step"] for s in written] == [
        "open_dispatch",
        "open_dispatch",
        "in_progress",
        "in_progress",
        "awaiting_quality_check",
        "awaiting_billing",
        "awaiting_payment",
        "paid",
    ]
    assert written[-1]["payload"] == await detail_now(db, tenant, job_id)
    JobState.model_validate(written[-1]["payload"])


async def test_an_upserted_party_re_sends_every_job_that_shows_it(
    db: asyncpg.Pool, tenant: str
) -> None:
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    first = new_job(tenant)
    # The second job is the same customer's, and the first job's technician visits it.
    second = replace(
        new_job(tenant),
        customer_id=first.customer_id,
        first_visit=replace(
            first.first_visit, dispatch_id=uuid4(), technician_id=first.technician_id
        ),
    )
    unrelated = new_job(tenant)
    for command in (first, second, unrelated):
        assert await bus.handle(command, causation()) is Outcome.APPLIED
    customer = commands.UpsertCustomer(
        tenant,
        T0 + timedelta(minutes=1),
        first.customer_id,
        "Dana Whitfield",
        (commands.ContactInfo(uuid4(), "Dana Whitfield", "+15555550101", None, "owner"),),
        None,
    )
    technician = commands.UpsertTechnician(
        tenant, T0, first.technician_id, "Sam Ortiz", None, Decimal("0.1"), (), "USD"
    )

    assert await bus.handle(customer, causation()) is Outcome.APPLIED
    assert await bus.handle(technician, causation()) is Outcome.APPLIED

    for job in (first, second):
        last = (await snapshots(db, job.job_id))[-1]["payload"]
        assert last == await detail_now(db, tenant, job.job_id)
        assert last["customer"]["name"] == "Dana Whitfield"
        assert [c["name"] for c in last["contacts"]] == ["Dana Whitfield"]
        assert last["dispatches"][0]["technician"]["name"] == "Sam Ortiz"
    assert (await snapshots(db, first.job_id))[-1]["payload"]["technician"]["name"] == "Sam Ortiz"
    assert len(await snapshots(db, unrelated.job_id)) == 1  # its dispatch only


async def test_a_subjob_s_payment_re_sends_its_parent(db: asyncpg.Pool, tenant: str) -> None:
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    parent = new_job(tenant)
    assert await bus.handle(parent, causation()) is Outcome.APPLIED
    subjob_id = uuid4()
    schedule = commands.CreateSubjob(
        tenant, T0, parent.job_id, subjob_id, "Deposit", Decimal(50), None, None
    )
    await bus.execute(schedule, causation())
    payment = commands.RecordPayment(tenant, T0, subjob_id, uuid4(), Decimal("10.00"), "card")

    assert await bus.handle(payment, causation()) is Outcome.APPLIED

    last = (await snapshots(db, parent.job_id))[-1]
    assert last["causation_id"] == (await snapshots(db, subjob_id))[-1]["causation_id"]
    assert last["payload"]["staged_billing"]["paid_on_subjobs"] == "10.00"
    assert last["payload"] == await detail_now(db, tenant, parent.job_id)


async def test_the_snapshots_read_many_jobs_as_their_details_read_one(
    db: asyncpg.Pool, tenant: str
) -> None:
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    jobs = [new_job(tenant) for _ in range(3)]
    for job in jobs:
        assert await bus.handle(job, causation()) is Outcome.APPLIED

    async with db.acquire() as conn:
        read = await read_states(conn, [(tenant, j.job_id) for j in jobs] + [(tenant, uuid4())])

    one_by_one = [await JobDetails(db).job(tenant, j.job_id) for j in sorted(jobs, key=_id)]
    assert len(read) == 3  # the unknown job is left out
    assert [job_state(r) for r in read] == [job_state(d) for d in one_by_one if d is not None]


def _id(job: commands.DispatchJob) -> UUID:
    return job.job_id
