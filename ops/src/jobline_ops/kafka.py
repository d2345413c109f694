"""Reading dead-letter topics without a consumer group, and publishing replays."""

import asyncio
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from jobline_contracts.topics import DLQ_SUFFIX
from jobline_infra.kafka_security import PLAINTEXT, KafkaSecurity
from jobline_ops.dead_letters import DeadLetter
from jobline_ops.replay import Replay

READ_TIMEOUT = 30.0
METADATA_WAIT = 3.0


class UnknownTopic(LookupError):
    """The cluster has no such topic."""


def _consumer(bootstrap: str, security: KafkaSecurity, **options: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        **options,
        **security.client_options(),
    )


async def dlq_topics(bootstrap: str, security: KafkaSecurity = PLAINTEXT) -> list[str]:
    """Every ``*.dlq`` topic of the cluster, sorted."""
    consumer = _consumer(bootstrap, security)
    await consumer.start()
    try:
        return sorted(t for t in await consumer.topics() if t.endswith(DLQ_SUFFIX))
    finally:
        await consumer.stop()


async def size(bootstrap: str, topic: str, security: KafkaSecurity = PLAINTEXT) -> int:
    """How many records ``topic`` holds (end minus beginning offsets, all partitions)."""
    consumer = _consumer(bootstrap, security)
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic)
        begin, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        return sum(end[tp] - begin[tp] for tp in tps)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    # A topic created a moment ago may not be in every answer yet: ask again, briefly.
    deadline = time.monotonic() + METADATA_WAIT
    while True:
        # A consumer without a subscription keeps no metadata of its own for the topic;
        # aiokafka has no public call to load it.
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return [TopicPartition(topic, p) for p in sorted(partitions)]
        if time.monotonic() > deadline:
            raise UnknownTopic(f"no topic {topic!r}")
        await asyncio.sleep(0.2)


async def read_topic(
    bootstrap: str, topic: str, *, tail: int | None = None, security: KafkaSecurity = PLAINTEXT
) -> list[DeadLetter]:
    """The records of ``topic`` up to its end at the time of the call (only the last
    ``tail`` of each partition when given), oldest first per partition."""
    consumer = _consumer(bootstrap, security, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic)
        consumer.assign(tps)
        begin = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
        for tp in tps:
            start = begin[tp] if tail is None else max(begin[tp], end[tp] - tail)
            consumer.seek(tp, start)
        return await _read_until(consumer, {tp: end[tp] for tp in tps if end[tp] > begin[tp]})
    finally:
        await consumer.stop()


async def _read_until(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    deadline = time.monotonic() + READ_TIMEOUT
    pending = {tp for tp, end in ends.items() if await consumer.position(tp) < end}
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not read {sorted(map(str, pending))} to the end")
        batches = await consumer.getmany(*pending, timeout_ms=500)
        for tp, records in batches.items():
            letters.extend(_letter(r) for r in records if r.offset < ends[tp])
        pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    return sorted(letters, key=lambda d: (d.partition, d.offset))


def _letter(r: "ConsumerRecord[bytes, bytes]") -> DeadLetter:
    value = r.value or b""
    return DeadLetter(r.topic, r.partition, r.offset, r.timestamp, r.key, value, tuple(r.headers))


async def publish(
    bootstrap: str, replays: Iterable[Replay], security: KafkaSecurity = PLAINTEXT
) -> int:
    """Publish the replays in order with the idempotent producer (acks=all); returns how
    many the broker acknowledged."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="jobline-ops",
        enable_idempotence=True,
        acks="all",
        **security.client_options(),
    )
    await producer.start()
    sent = 0
    try:
        for replay in replays:
            await producer.send_and_wait(
                replay.topic,
                replay.value,
                key=replay.key,
                partition=replay.partition,
                headers=list(replay.headers),
            )
            sent += 1
    finally:
        await producer.stop()
    return sent
