"""Upstream facts through real Kafka into the jobs service process, out as lifecycle
events: the foundation's end-to-end promises."""

import json
import uuid
from decimal import Decimal

import asyncpg
import pytest

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("jobs_service")]

FACTS = DISPATCH_EVENTS.name


def of_job(story: JobStory, message_type: str | None = None):
    def match(seen: Seen) -> bool:
        if seen.key != story.key.encode():
            return False
        return message_type is None or json.loads(seen.value)["type"] == message_type

    return match


async def test_a_dispatched_job_lands_in_postgres_and_on_the_lifecycle_topic(
    publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    fact = story.envelope(story.dispatched())
    await publisher.publish(FACTS, fact, story.key)

    created, assigned = await lifecycle.wait_for(of_job(story), count=2)
    first = json.loads(created.value)
    assert first["type"] == "job.created"
    assert first["tenant_id"] == tenant
    assert first["causation_id"] == str(fact.message_id)
    assert first["payload"]["total"] == "1209.49"
    assert json.loads(assigned.value)["type"] == "job.dispatch_assigned"
    row = await db.fetchrow(
        "SELECT step, total, job_number FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
        tenant,
        story.job_id,
    )
    assert dict(row) == {
        "step": "open_dispatch",
        "total": Decimal("1209.49"),
        "job_number": story.number,
    }


async def test_facts_walk_a_job_to_paid_in_order(
    publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    for payload in (story.customer(), story.property(), story.technician()):
        await publisher.publish(FACTS, story.envelope(payload), str(uuid.uuid4()))
    for payload in (
        story.dispatched(),
        story.started(),
        story.work_completed(),
        story.quality_checked(),
        story.invoiced(),
        story.paid("1209.49"),
    ):
        await publisher.publish(FACTS, story.envelope(payload), story.key)

    changes = await lifecycle.wait_for(of_job(story, "job.status_changed"), count=5)
    steps = [json.loads(s.value)["payload"]["to_step"] for s in changes]
    assert steps == [
        "in_progress",
        "awaiting_quality_check",
        "awaiting_billing",
        "awaiting_payment",
        "paid",
    ]
    assert (
        await db.fetchval(
            "SELECT step FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2", tenant, story.job_id
        )
        == "paid"
    )
    customer = await db.fetchval(
        "SELECT name FROM jobs.customers WHERE tenant_id = $1 AND customer_id = $2",
        tenant,
        story.customer_id,
    )
    assert customer == "Dana Whitfield"


async def test_the_same_message_published_twice_changes_nothing_the_second_time(
    publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    await publisher.publish(FACTS, story.envelope(story.dispatched()), story.key)
    started = story.envelope(story.started())
    await publisher.publish(FACTS, started, story.key)
    await publisher.publish(FACTS, started, story.key)
    # A marker fact after the duplicate: once its event is out, the duplicate was handled.
    await publisher.publish(FACTS, story.envelope(story.work_completed()), story.key)

    await lifecycle.wait_for(of_job(story, "job.status_changed"), count=2)
    changes = lifecycle.matching(of_job(story, "job.status_changed"))
    assert [json.loads(s.value)["payload"]["to_step"] for s in changes] == [
        "in_progress",
        "awaiting_quality_check",
    ]
    timeline = await db.fetchval(
        "SELECT count(*) FROM jobs.timeline WHERE tenant_id = $1 AND job_id = $2"
        " AND message_id = $3",
        tenant,
        story.job_id,
        started.message_id,
    )
    assert timeline == 1


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (b"this is not json", "not_json"),
        (b'{"message_id": "nope"}', "bad_envelope"),
        ("unknown", "unknown_type"),
        ("bad-payload", "bad_payload"),
    ],
)
async def test_bad_messages_land_in_the_dead_letter_topic_and_the_consumer_goes_on(
    publisher: FactPublisher,
    watch,
    tenant: str,
    value: bytes | str,
    kind: str,
):
    dlq = await watch(DISPATCH_EVENTS.dlq)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    good = story.envelope(story.dispatched())
    if value == "unknown":
        value = good.to_json().replace(b'"job.dispatched"', b'"job.teleported"')
    elif value == "bad-payload":
        value = good.to_json().replace(b'"currency":"USD"', b'"currency":"dollars"')
    assert isinstance(value, bytes)
    await publisher.publish_raw(FACTS, value, key=story.key.encode())
    await publisher.publish(FACTS, good, story.key)

    (dead,) = await dlq.wait_for(lambda s: s.key == story.key.encode())
    assert dead.value == value
    assert dead.headers["x-dlq-kind"] == kind
    assert dead.headers["x-dlq-reason"]
    assert dead.headers["x-original-topic"] == FACTS
    await lifecycle.wait_for(of_job(story, "job.created"))


async def test_an_impossible_transition_is_on_the_timeline_and_dead_lettered(
    publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    dlq = await watch(DISPATCH_EVENTS.dlq)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    await publisher.publish(FACTS, story.envelope(story.dispatched()), story.key)
    await publisher.publish(FACTS, story.envelope(story.invoiced()), story.key)
    await publisher.publish(FACTS, story.envelope(story.started()), story.key)

    (dead,) = await dlq.wait_for(lambda s: s.key == story.key.encode())
    assert dead.headers["x-dlq-kind"] == "impossible_transition"
    assert "from open_dispatch" in dead.headers["x-dlq-reason"]
    await lifecycle.wait_for(of_job(story, "job.status_changed"))  # the consumer went on
    rejected = await db.fetchrow(
        "SELECT type, cause, details FROM jobs.timeline WHERE tenant_id = $1 AND job_id = $2"
        " AND kind = 'rejected'",
        tenant,
        story.job_id,
    )
    assert rejected["type"] == "impossible_transition"
    assert rejected["cause"] == "job.invoiced"


async def test_facts_of_many_jobs_interleaved_each_end_in_the_right_state(
    publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str
):
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    stories = [JobStory(tenant) for _ in range(20)]
    rounds = [
        [s.dispatched() for s in stories],
        [s.started() for s in stories],
        [s.work_completed() for s in stories[:10]],
    ]
    for payloads in rounds:
        for story, payload in zip(stories, payloads, strict=False):
            await publisher.publish(FACTS, story.envelope(payload), story.key)

    await lifecycle.wait_for(
        lambda s: (
            json.loads(s.value)["tenant_id"] == tenant
            and json.loads(s.value)["type"] == "job.status_changed"
        ),
        count=30,
    )
    steps = dict(await db.fetch("SELECT job_id, step FROM jobs.jobs WHERE tenant_id = $1", tenant))
    assert [steps[s.job_id] for s in stories] == (
        ["awaiting_quality_check"] * 10 + ["in_progress"] * 10
    )
