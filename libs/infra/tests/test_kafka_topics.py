"""The topics the stack creates have the partition counts docs/asyncapi.yaml documents."""

import uuid
from dataclasses import replace

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient

from jobline_contracts import asyncapi
from jobline_contracts.topics import TOPICS, topic_partitions
from jobline_infra.kafka_topics import ensure_topics
from jobline_testing.polling import eventually

pytestmark = pytest.mark.integration


def documented() -> dict[str, int]:
    """Each channel's Kafka partitions, as the generated AsyncAPI document says."""
    channels = yaml.safe_load(asyncapi.render())["channels"].values()
    return {c["address"]: c["bindings"]["kafka"]["partitions"] for c in channels}


async def partitions(bootstrap: str, names: list[str], *, delete: bool = False) -> dict[str, int]:
    """How many partitions each topic has on the broker (then deletes them, if asked)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(names)}
    finally:
        if delete:
            await admin.delete_topics(names)
        await admin.close()


async def test_ensure_topics_creates_every_topic_and_dead_letter_topic_as_documented(
    kafka_bootstrap: str,
):
    prefix = f"topics-{uuid.uuid4().hex[:8]}."
    copies = tuple(replace(spec, name=prefix + spec.name) for spec in TOPICS)
    wanted = {name.removeprefix(prefix): n for name, n in topic_partitions(copies).items()}

    created = await ensure_topics(kafka_bootstrap, copies, client_id="jobline-tests")

    # A topic just created may be described before its partitions' metadata reached the
    # broker answering: ask until every one has them (or the deadline passes).
    async def every_one_described() -> bool:
        found = await partitions(kafka_bootstrap, created)
        return set(found) == set(created) and 0 not in found.values()

    await eventually(every_one_described, within=30)
    found = await partitions(kafka_bootstrap, created, delete=True)

    assert {name.removeprefix(prefix): n for name, n in found.items()} == wanted
    assert wanted == documented()
    assert {n for name, n in wanted.items() if name.endswith(".dlq")} == {1}


async def test_the_running_stack_s_topics_have_the_documented_partitions(kafka_bootstrap: str):
    # The shared broker's topics were created by whichever service started first.
    expected = documented()

    assert await partitions(kafka_bootstrap, sorted(expected)) == expected
