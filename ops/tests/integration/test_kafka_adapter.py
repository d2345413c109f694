"""Reading a dead-letter topic to its end and publishing replays, on the real broker."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from jobline_ops import kafka
from jobline_ops.dead_letters import DeadLetter
from jobline_ops.replay import replay_of
from jobline_testing.kafka import FactPublisher, TopicWatcher

pytestmark = pytest.mark.integration


@pytest.fixture
async def topics(kafka_bootstrap: str):
    """A throwaway topic (3 partitions) and its dead-letter twin (1), deleted afterwards."""
    name = f"ops-test-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(name, 3, 1), NewTopic(name + ".dlq", 1, 1)])
    yield name
    await admin.delete_topics([name, name + ".dlq"])
    await admin.close()


async def test_reading_stops_at_the_end_and_a_tail_keeps_the_newest(
    kafka_bootstrap: str, publisher: FactPublisher, topics: str
):
    for n in range(5):
        await publisher.publish_raw(topics + ".dlq", f"m{n}".encode(), key=f"k{n}".encode())
    everything = await kafka.read_topic(kafka_bootstrap, topics + ".dlq")
    assert [(d.offset, d.value) for d in everything] == [(n, f"m{n}".encode()) for n in range(5)]
    assert [d.offset for d in await kafka.read_topic(kafka_bootstrap, topics + ".dlq", tail=2)] == [
        3,
        4,
    ]
    assert await kafka.size(kafka_bootstrap, topics + ".dlq") == 5
    assert topics + ".dlq" in await kafka.dlq_topics(kafka_bootstrap)
    with pytest.raises(kafka.UnknownTopic):
        await kafka.read_topic(kafka_bootstrap, topics + "-missing.dlq")


async def test_an_empty_topic_reads_as_nothing(kafka_bootstrap: str, topics: str):
    assert await kafka.read_topic(kafka_bootstrap, topics + ".dlq") == []


async def test_a_replay_lands_on_the_original_topic_with_its_key_and_headers(
    kafka_bootstrap: str, topics: str
):
    watcher = TopicWatcher(kafka_bootstrap, topics)
    await watcher.start()
    try:
        value = json.dumps({"message_id": str(uuid.uuid4()), "type": "t"}).encode()
        headers = (("x-original-topic", topics.encode()), ("x-dlq-kind", b"handler_error"))
        letter = DeadLetter(topics + ".dlq", 0, 9, 0, b"job-42", value, headers)
        sent = await kafka.publish(
            kafka_bootstrap, [replay_of(letter, at=datetime.now(UTC), by="test")]
        )
        (seen,) = await watcher.wait_for(lambda s: s.key == b"job-42")
    finally:
        await watcher.stop()
    assert sent == 1
    assert seen.value == value
    assert seen.headers["x-replayed-from"] == f"{topics}.dlq:0:9"
    assert seen.headers["x-replayed-dlq-kind"] == "handler_error"
