"""Issue 19 on the real PostgreSQL unit of work: a STOP reply is published on the job of
the latest text that left for the number, once per change from reachable to opted out,
and without the number; a delivery's outcome is published once however often comms
reports it."""

import json
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.domain import commands
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job

pytestmark = pytest.mark.integration
PHONE = "+15555550177"


def from_comms(minutes: int) -> Causation:
    message_id, at = uuid4(), T0 + timedelta(minutes=minutes)
    return Causation("jobs.comms", message_id, "comms", message_id, at, "comms")


@pytest.fixture
def bus(db: asyncpg.Pool) -> MessageBus:
    return MessageBus(lambda why: PostgresUnitOfWork(db, why))


async def text(
    db: asyncpg.Pool, tenant: str, job_id: UUID, minutes: int, status: str = "delivered"
) -> tuple[UUID, UUID, UUID]:
    """A text of the job to PHONE, sent at T0 + ``minutes``: (communication, delivery,
    recipient)."""
    communication, delivery, recipient = uuid4(), uuid4(), uuid4()
    await db.execute(
        """INSERT INTO jobs.communications (tenant_id, communication_id, job_id, channel, body,
                  send_at, released, requested_by)
           VALUES ($1, $2, $3, 'sms', 'On our way', $4, true, 'operator:t')""",
        *(tenant, communication, job_id, T0 + timedelta(minutes=minutes)),
    )
    await db.execute(
        """INSERT INTO jobs.deliveries (delivery_id, tenant_id, communication_id, recipient_id,
                  recipient_name, address, status) VALUES ($1, $2, $3, $4, 'Dana', $5, $6)""",
        *(delivery, tenant, communication, recipient, PHONE, status),
    )
    return communication, delivery, recipient


async def reply(bus: MessageBus, tenant: str, minutes: int, *, stop: bool = True) -> None:
    keyword = "STOP" if stop else "START"
    cmd = commands.RecordOptOut(tenant, T0 + timedelta(minutes=minutes), PHONE, stop, keyword)
    assert await bus.handle(cmd, from_comms(minutes)) is Outcome.APPLIED


async def published(db: asyncpg.Pool, job_id: UUID, message_type: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE key = $1 ORDER BY outbox_id", str(job_id).encode()
    )
    assert all(PHONE.encode() not in r["value"] for r in rows)
    return [e for r in rows if (e := json.loads(r["value"]))["type"] == message_type]


async def test_a_stop_names_the_latest_text_once_until_a_newer_start(db, bus, tenant):
    first, second = dispatch_job(tenant), replace(dispatch_job(tenant), job_number="J-2")
    for cmd in (first, second):
        assert await bus.handle(cmd, from_comms(0)) is Outcome.APPLIED
    await text(db, tenant, first.job_id, minutes=1)
    latest = await text(db, tenant, second.job_id, minutes=2)
    await text(db, tenant, first.job_id, minutes=3, status="opted_out")  # refused: never left

    await reply(bus, tenant, minutes=10)
    await reply(bus, tenant, minutes=11)  # a repeat
    await reply(bus, tenant, minutes=20, stop=False)
    await reply(bus, tenant, minutes=15)  # older than the START: a late copy
    await reply(bus, tenant, minutes=30)

    assert await published(db, first.job_id, "recipient.opted_out") == []
    stops = await published(db, second.job_id, "recipient.opted_out")
    assert len(stops) == 2
    payload = stops[0]["payload"]
    assert (payload["communication_id"], payload["delivery_id"], payload["recipient_id"]) == (
        *(str(x) for x in latest),
    )
    assert (payload["customer_id"], payload["keyword"]) == (str(second.customer_id), "STOP")
    timeline = await db.fetch(
        "SELECT type FROM jobs.timeline WHERE job_id = $1 AND type = 'recipient.opted_out'",
        second.job_id,
    )
    assert len(timeline) == 2


async def test_a_stop_from_a_number_no_text_went_to_is_recorded_and_publishes_nothing(
    db, bus, tenant
):
    await reply(bus, tenant, minutes=1)

    opted_out = await db.fetchval(
        "SELECT opted_out FROM jobs.opt_outs WHERE tenant_id = $1 AND phone = $2", tenant, PHONE
    )
    assert opted_out is True
    written = await db.fetchval(
        """SELECT count(*) FROM jobs.outbox
            WHERE convert_from(value, 'UTF8')::jsonb ->> 'tenant_id' = $1""",
        tenant,
    )
    assert written == 0


async def test_an_outcome_reported_again_is_published_once(db, bus, tenant):
    cmd = dispatch_job(tenant)
    assert await bus.handle(cmd, from_comms(0)) is Outcome.APPLIED
    _, delivery, _ = await text(db, tenant, cmd.job_id, minutes=1, status="queued")

    for minute, status in enumerate(("sent", "delivered", "delivered", "sent"), start=2):
        report = commands.RecordDeliveryStatus(
            tenant, T0 + timedelta(minutes=minute), delivery, status
        )
        assert await bus.handle(report, from_comms(minute)) is Outcome.APPLIED

    (delivered,) = await published(db, cmd.job_id, "communication.delivered")
    assert delivered["payload"]["delivery_id"] == str(delivery)
    status = await db.fetchval(
        "SELECT status FROM jobs.deliveries WHERE delivery_id = $1", delivery
    )
    assert status == "delivered"
