"""One test, two brokers: FastStream's in-memory ``TestKafkaBroker`` and the real Kafka
(``with_real=True``, marker ``real_broker``), each with topics of its own."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker, KafkaRouter, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from jobline_contracts.topics import TopicSpec
from jobline_infra.kafka_topics import ensure_topics


class BrokerProducer:
    """A dead-letter ``Sender`` that publishes through the broker under test, so the
    in-memory broker routes what it sends as the real one does."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> None:
        await self._broker.publish(
            value or b"", topic, key=key, headers={k: v.decode() for k, v in headers or ()}
        )


@dataclass(frozen=True)
class Letter:
    key: bytes | None
    value: bytes
    headers: dict[str, str]


@dataclass
class BrokerMode:
    """``bootstrap`` is None for the in-memory broker."""

    bootstrap: str | None
    created: list[str] = field(default_factory=list)

    @property
    def real(self) -> bool:
        return self.bootstrap is not None

    def broker(self) -> KafkaBroker:
        return KafkaBroker(self.bootstrap or "localhost")

    def running(self, broker: KafkaBroker) -> TestKafkaBroker:
        return TestKafkaBroker(broker, with_real=self.real)

    async def topic(self, spec: TopicSpec) -> TopicSpec:
        """``spec`` under a name no other test (or session) uses, created if real."""
        fresh = replace(spec, name=f"test-{uuid.uuid4().hex[:12]}.{spec.name}", partitions=2)
        if self.bootstrap is not None:
            self.created += await ensure_topics(self.bootstrap, [fresh], client_id="jobline-tests")
        return fresh

    async def delete_topics(self) -> None:
        if self.bootstrap is None or not self.created:
            return
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="jobline-tests")
        await admin.start()
        try:
            with contextlib.suppress(Exception):  # best effort: names are unique anyway
                await admin.delete_topics(self.created)
        finally:
            await admin.close()


def collect_dead_letters(router: KafkaRouter, spec: TopicSpec) -> list[Letter]:
    """Every dead letter sent to ``spec``'s DLQ while the broker runs."""
    letters: list[Letter] = []

    @router.subscriber(spec.dlq, group_id=f"{spec.dlq}.reader", auto_offset_reset="earliest")
    async def on_dead_letter(message: KafkaMessage) -> None:
        record = message.raw_message
        headers = {k: v.decode() for k, v in record.headers}
        letters.append(Letter(record.key, record.value or b"", headers))

    return letters


@contextlib.asynccontextmanager
async def broker_mode_for(bootstrap: str | None) -> AsyncIterator[BrokerMode]:
    mode = BrokerMode(bootstrap)
    try:
        yield mode
    finally:
        await mode.delete_topics()
