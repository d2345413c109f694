"""``jobline-ops dlq`` against the running jobs service: a poisoned fact lands in the DLQ,
``list`` and ``show`` find it, and ``replay`` after the fix moves the job exactly once.

The shared Kafka may have other test sessions' jobs services consuming the same facts
(each with its own database, where our tenant does not exist): they dead-letter our
messages too, so these tests pick their own dead letters by kind and origin."""

import json
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_infra.dead_letters import DeadLetters
from jobline_infra.kafka import idempotent_producer
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.stories import JobStory
from ops_testing import jobline_ops

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("jobs_service")]
FACTS = DISPATCH_EVENTS.name


def lifecycle_of(story: JobStory, message_type: str, to_step: str | None = None):
    def match(seen: Seen) -> bool:
        if seen.key != story.key.encode():
            return False
        body = json.loads(seen.value)
        return body["type"] == message_type and (
            to_step is None or body["payload"]["to_step"] == to_step
        )

    return match


async def test_a_poison_fact_is_listed_shown_and_refused_again_when_replayed_unfixed(
    publisher: FactPublisher, watch, kafka_bootstrap: str
):
    key = f"ops-poison-{uuid4().hex}"
    dlq = await watch(DISPATCH_EVENTS.dlq)
    await publisher.publish_raw(FACTS, b"{not json at all", key=key.encode())
    (dead, *_) = await dlq.wait_for(lambda s: s.key == key.encode())

    listed = await jobline_ops(kafka_bootstrap, "dlq", "list", "--topic", FACTS, "--key", key)
    assert listed.code == 0, listed.err
    heading, columns, *rows = listed.out.strip().splitlines()
    assert heading.startswith("dispatch.events.v1.dlq: ")
    assert columns.split()[:2] == ["PART:OFFSET", "WHEN"]
    ours = [r for r in rows if r.split()[0] == f"0:{dead.offset}"]
    assert len(ours) == 1
    assert "not_json" in ours[0].split()
    as_json = (
        await jobline_ops(kafka_bootstrap, "dlq", "list", "--topic", FACTS, "--key", key, "--json")
    ).lines()
    assert dead.offset in [line["offset"] for line in as_json]
    assert {(line["kind"], line["original_topic"]) for line in as_json} == {("not_json", FACTS)}

    shown = await jobline_ops(
        kafka_bootstrap, "dlq", "show", "--topic", DISPATCH_EVENTS.dlq, "--offset", str(dead.offset)
    )
    assert shown.code == 0, shown.err
    assert "x-dlq-kind: not_json" in shown.out
    assert "x-dlq-reason: the message is not valid JSON" in shown.out
    assert "b'{not json at all'" in shown.out

    dry = await jobline_ops(
        kafka_bootstrap,
        "dlq",
        "replay",
        "--topic",
        FACTS,
        "--offset",
        str(dead.offset),
        "--dry-run",
    )
    assert dry.out.startswith(f"would replay dispatch.events.v1.dlq:0:{dead.offset} [not_json]")
    replayed = await jobline_ops(
        kafka_bootstrap, "dlq", "replay", "--topic", FACTS, "--offset", str(dead.offset)
    )
    assert replayed.code == 0, replayed.err
    assert "replayed 1 message(s)" in replayed.out
    # Still poison: the consumer refuses the replayed copy (another offset of the topic)
    # again, with its bytes and key unchanged.
    first_copy = dead.headers["x-original-offset"]
    (again, *_) = await dlq.wait_for(
        lambda s: s.key == key.encode() and s.headers["x-original-offset"] != first_copy
    )
    assert again.value == dead.value
    assert again.headers["x-dlq-kind"] == "not_json"


async def test_a_refused_fact_replayed_after_the_fix_moves_the_job_once(
    publisher: FactPublisher, watch, db: asyncpg.Pool, tenant: str, kafka_bootstrap: str
):
    story = JobStory(tenant)
    dlq = await watch(DISPATCH_EVENTS.dlq)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    # Upstream sent "started" before "dispatched": the job is unknown, the fact refused.
    await publisher.publish(FACTS, story.envelope(story.started()), story.key)
    (dead, *_) = await dlq.wait_for(
        lambda s: s.key == story.key.encode() and s.headers["x-dlq-kind"] == "unknown_job"
    )
    offset = str(dead.offset)

    # The fix: the dispatch arrives. The job exists but has not started.
    await publisher.publish(FACTS, story.envelope(story.dispatched()), story.key)
    await lifecycle.wait_for(lifecycle_of(story, "job.created"))

    # Unchanged, the refused message id is already handled: the tool says so.
    replay = ("dlq", "replay", "--topic", FACTS, "--offset", offset)
    plain = await jobline_ops(kafka_bootstrap, *replay)
    assert plain.code == 0, plain.err
    assert "--fresh-id" in plain.err
    fresh = [
        await jobline_ops(kafka_bootstrap, *replay, "--fresh-id")
        for _ in range(2)  # an operator who runs it twice
    ]
    assert all(f.code == 0 for f in fresh), [f.err for f in fresh]
    fresh_id = fresh[0].out.split("message_id=")[1].split()[0]
    assert fresh_id == fresh[1].out.split("message_id=")[1].split()[0]
    await lifecycle.wait_for(lifecycle_of(story, "job.status_changed", "in_progress"))

    # A later fact on the same partition: once it is applied, every replay before it was too.
    await publisher.publish(FACTS, story.envelope(story.work_completed()), story.key)
    await lifecycle.wait_for(lifecycle_of(story, "job.status_changed", "awaiting_quality_check"))
    started = lifecycle.matching(lifecycle_of(story, "job.status_changed", "in_progress"))
    assert len(started) == 1
    step = await db.fetchval(
        "SELECT step FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2", tenant, story.job_id
    )
    assert step == "awaiting_quality_check"
    claims = await db.fetch(
        "SELECT outcome FROM jobs.processed_messages WHERE message_id = $1", UUID(fresh_id)
    )
    assert len(claims) == 1


async def test_a_fact_a_crashing_handler_gave_up_on_applies_on_a_plain_replay(
    watch, db: asyncpg.Pool, tenant: str, kafka_bootstrap: str
):
    story = JobStory(tenant)
    raw = story.envelope(story.dispatched()).to_json()
    dlq = await watch(DISPATCH_EVENTS.dlq)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    # The dead letter the consumers' crash guard writes (jobline_infra's DeadLetters) when
    # a handler keeps raising on a fact: the fact was never applied, its id never claimed.
    producer = idempotent_producer(kafka_bootstrap, "ops-test")
    await producer.start()
    try:
        crashed = ConsumerRecord(
            FACTS, 0, 0, 0, 0, story.key.encode(), raw, None, 0, len(raw), ()
        )  # fmt: skip
        await DeadLetters(producer, "jobs.dispatch-facts").send(
            crashed, "handler_error", "RuntimeError: the handler crashed"
        )
    finally:
        await producer.stop()
    (dead, *_) = await dlq.wait_for(
        lambda s: s.key == story.key.encode() and s.headers["x-dlq-kind"] == "handler_error"
    )

    replayed = await jobline_ops(
        kafka_bootstrap, "dlq", "replay", "--topic", FACTS, "--offset", str(dead.offset)
    )
    assert replayed.code == 0, replayed.err
    assert "--fresh-id" not in replayed.err  # nothing to say: a plain replay applies it
    await lifecycle.wait_for(lifecycle_of(story, "job.created"))
    step = await db.fetchval(
        "SELECT step FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2", tenant, story.job_id
    )
    assert step == "open_dispatch"
