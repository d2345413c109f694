"""Publishing facts and watching topics from tests, with deadlines instead of sleeps."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from jobline_contracts.envelope import Envelope, Payload
from jobline_infra.kafka_security import PLAINTEXT, KafkaSecurity


@dataclass(frozen=True)
class Seen:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    partition: int
    offset: int


class TopicWatcher:
    """Reads a topic from its end at start-up onward, without a consumer group."""

    def __init__(self, bootstrap: str, topic: str, security: KafkaSecurity = PLAINTEXT) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, **security.client_options()
        )
        self.topic = topic
        self.seen: list[Seen] = []
        self._task: asyncio.Task[None] | None = None
        self._new = asyncio.Condition()

    async def start(self) -> None:
        await self._consumer.start()
        partitions = self._consumer.partitions_for_topic(self.topic)
        deadline = time.monotonic() + 30
        while not partitions:
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {self.topic} has no partitions")
            await self._consumer._client.force_metadata_update()
            partitions = self._consumer.partitions_for_topic(self.topic)
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve positions now, so nothing published later is missed
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for record in self._consumer:
            async with self._new:
                self.seen.append(
                    Seen(
                        record.topic,
                        record.key,
                        record.value,
                        {k: v.decode() for k, v in record.headers},
                        record.partition,
                        record.offset,
                    )
                )
                self._new.notify_all()

    async def wait_for(
        self, match: Callable[[Seen], bool], count: int = 1, within: float = 30.0
    ) -> list[Seen]:
        """Wait until ``count`` records match, or fail after ``within`` seconds."""

        async def enough() -> list[Seen]:
            async with self._new:
                await self._new.wait_for(lambda: len([s for s in self.seen if match(s)]) >= count)
                return [s for s in self.seen if match(s)]

        try:
            return await asyncio.wait_for(enough(), within)
        except TimeoutError:
            got = len([s for s in self.seen if match(s)])
            raise AssertionError(
                f"{self.topic}: expected {count} matching records within {within}s, got {got}"
            ) from None

    def matching(self, match: Callable[[Seen], bool]) -> list[Seen]:
        return [s for s in self.seen if match(s)]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


class FactPublisher:
    """Publishes envelopes (or raw bytes) as an upstream system would."""

    def __init__(self, bootstrap: str, security: KafkaSecurity = PLAINTEXT) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            enable_idempotence=True,
            acks="all",
            **security.client_options(),
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, envelope: Envelope[Any], key: str) -> None:
        await self._producer.send_and_wait(topic, envelope.to_json(), key=key.encode())

    async def publish_raw(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        await self._producer.send_and_wait(topic, value, key=key)


def wrap(payload: Payload, tenant_id: str) -> Envelope[Any]:
    return Envelope.wrap(payload, tenant_id=tenant_id)
