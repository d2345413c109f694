"""Events from comms and invoicing as a stranger with write access to their topics would
send them: under one tenant's id, naming another tenant's delivery or render. Each is
dead-lettered (``foreign_reference``, the reason naming the rule, not the other tenant)
and changes nothing of either tenant; the tenant's own event after it is recorded, so the
consumer moved on.

Nothing here asks comms or invoicing for anything (the send is scheduled for next week,
the render request is the tenant's row), so other sessions' services on the shared topics
cannot report on these records meanwhile."""

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from jobline_contracts import comms, invoicing
from jobline_contracts.topics import COMMS_EVENTS, DISPATCH_EVENTS, INVOICING_EVENTS, JOBS_LIFECYCLE
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_testing.kafka import FactPublisher, Seen, wrap
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e]
RULE = "an event may name only its own tenant's records"


@pytest.fixture
async def stranger(db: asyncpg.Pool) -> str:
    """Another provisioned tenant: the one whose id the hostile events carry."""
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    async with db.acquire() as conn:
        await add_tenant(conn, tenant_id, "Globex Heating", "America/Denver", "USD")
    return tenant_id


@pytest.fixture
async def api(
    jobs_service: ServiceProcess, db: asyncpg.Pool, tenant: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with db.acquire() as conn:
        token = await issue_token(conn, tenant, "operator")
    async with httpx.AsyncClient(
        base_url=jobs_service.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


async def scheduled_text(
    api: httpx.AsyncClient, publisher: FactPublisher, watch, tenant: str
) -> uuid.UUID:
    """A text to the job's customer, scheduled for next week: its delivery's id."""
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(story.customer()), story.key)
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(story.dispatched()), story.key)
    await lifecycle.wait_for(lambda s: s.key == story.key.encode())
    [dana] = (await api.get(f"/v1/jobs/{story.job_id}/recipients")).json()["items"]
    sent = await api.post(
        f"/v1/jobs/{story.job_id}/communications",
        json={
            "channel": "sms",
            "recipient_ids": [dana["id"]],
            "body": "See you next week",
            "send_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        },
    )
    assert sent.status_code == 202, sent.text
    shown = (await api.get(f"/v1/communications/{sent.json()['communication_id']}")).json()
    [delivery] = shown["deliveries"]
    return uuid.UUID(delivery["id"])


def failed(delivery_id: uuid.UUID, words: str) -> comms.DeliveryStatusChanged:
    return comms.DeliveryStatusChanged(
        delivery_id=delivery_id,
        communication_id=uuid.uuid4(),
        channel="sms",
        status=comms.DeliveryStatus.FAILED,
        error_code="30003",
        error_message=words,
    )


async def test_a_status_naming_another_tenants_delivery_is_dead_lettered_unapplied(
    api: httpx.AsyncClient,
    publisher: FactPublisher,
    db: asyncpg.Pool,
    tenant: str,
    stranger: str,
    watch,
):
    delivery = await scheduled_text(api, publisher, watch, tenant)
    dead = await watch(COMMS_EVENTS.dlq)
    forged, own = f"forged {uuid.uuid4()}", f"own {uuid.uuid4()}"
    hostile = wrap(failed(delivery, forged), stranger)
    await publisher.publish(COMMS_EVENTS.name, hostile, f"hostile-{delivery}")
    await publisher.publish(COMMS_EVENTS.name, wrap(failed(delivery, own), tenant), str(delivery))

    async def stored() -> str | None:
        message: str | None = await db.fetchval(
            "SELECT error_message FROM jobs.deliveries WHERE delivery_id = $1", delivery
        )
        return message

    async def own_recorded() -> bool:
        return await stored() == own

    await eventually(own_recorded, within=30)  # the consumer moved on past the forged one
    [letter] = await dead.wait_for(ours(f"hostile-{delivery}"))
    assert_refused(letter, hostile.message_id, tenant)
    assert f"delivery {delivery} is not this tenant's" in letter.headers["x-dlq-reason"]
    changed_by_stranger = await db.fetchval(
        "SELECT count(*) FROM jobs.deliveries WHERE tenant_id = $1", stranger
    )
    assert changed_by_stranger == 0


def rendered(job_id: uuid.UUID, snapshot: str, tenant: str) -> invoicing.InvoiceRendered:
    return invoicing.InvoiceRendered(
        job_id=job_id,
        invoice_number="INV-000001",
        snapshot_sha256=snapshot,
        blob_key=f"invoices/{tenant}/{snapshot}.pdf",  # its own tenant's: only the ids lie
        sha256="a" * 64,
        pages=1,
        bytes=2048,
    )


async def test_a_render_outcome_for_another_tenants_render_is_dead_lettered_unrecorded(
    jobs_service: ServiceProcess,
    publisher: FactPublisher,
    db: asyncpg.Pool,
    tenant: str,
    stranger: str,
    watch,
):
    job_id, snapshot = uuid.uuid4(), hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    await db.execute(  # the tenant asked for this render (its command left no outbox)
        "INSERT INTO jobs.invoice_renders (tenant_id, job_id, snapshot_sha256, status)"
        " VALUES ($1, $2, $3, 'requested')",
        tenant,
        job_id,
        snapshot,
    )
    dead = await watch(INVOICING_EVENTS.dlq)
    hostile = wrap(rendered(job_id, snapshot, stranger), stranger)
    await publisher.publish(INVOICING_EVENTS.name, hostile, f"hostile-{job_id}")
    own = rendered(job_id, snapshot, tenant)
    await publisher.publish(INVOICING_EVENTS.name, wrap(own, tenant), str(job_id))

    async def renders() -> dict[str, tuple[str, str | None]]:
        rows = await db.fetch(
            "SELECT tenant_id, status, blob_key FROM jobs.invoice_renders WHERE job_id = $1",
            job_id,
        )
        return {r["tenant_id"]: (r["status"], r["blob_key"]) for r in rows}

    async def own_recorded() -> bool:
        return (await renders()).get(tenant) == ("rendered", own.blob_key)

    await eventually(own_recorded, within=30)  # the consumer moved on past the forged one
    [letter] = await dead.wait_for(ours(f"hostile-{job_id}"))
    assert_refused(letter, hostile.message_id, tenant)
    assert (
        f"asked for no render of snapshot {snapshot} of job {job_id}"
        in (letter.headers["x-dlq-reason"])
    )
    assert await renders() == {tenant: ("rendered", own.blob_key)}


def ours(key: str):
    """This session's letter: other sessions' jobs services read the same topics and
    dead-letter the message too, as unknown_tenant (our tenants are not theirs)."""

    def match(seen: Seen) -> bool:
        return seen.key == key.encode() and seen.headers.get("x-dlq-kind") != "unknown_tenant"

    return match


def assert_refused(letter: Seen, message_id: uuid.UUID, owner: str) -> None:
    assert letter.headers["x-dlq-consumer"].startswith("jobs")
    assert letter.headers["x-dlq-kind"] == "foreign_reference"
    reason = letter.headers["x-dlq-reason"]
    assert reason.startswith(RULE)
    assert owner not in reason  # the stranger learns nothing of whose record it was
    assert str(message_id).encode() in letter.value
