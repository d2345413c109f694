"""The FastStream service: ``lifecycle-consumer`` (or, with ``faststream[cli]`` installed,
``faststream run lifecycle_consumer.app:create_app --factory``), configured by the
environment (settings.py).

One record at a time, in offset order per partition, which keeps each job's events in the
order Jobline committed them. The offset is committed after the record's transaction:
a crash in between delivers it again, and the recorded ``message_id`` makes that a no-op.
Only an infrastructure failure (PostgreSQL down) raises, which leaves the offset
uncommitted: FastStream delivers the record again rather than lose it.
"""

import asyncio
import logging
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

from lifecycle_consumer.inbound import Event, Inbound, Position, Rejected, Skipped, read
from lifecycle_consumer.settings import Settings
from lifecycle_consumer.store import ReadModel

log = logging.getLogger("lifecycle_consumer")


class LifecycleConsumer:
    """What happens to each record: apply, skip or set aside; always logged."""

    def __init__(self, read_model: ReadModel) -> None:
        self.read_model = read_model

    async def handle(self, inbound: Inbound) -> None:
        where = inbound.position
        if isinstance(inbound, Event):
            applied = await self.read_model.apply(inbound)
            if not applied:
                log.info("duplicate %s at %s: already applied", inbound.envelope.message_id, where)
            return
        await self.read_model.set_aside(inbound)
        if isinstance(inbound, Skipped):
            log.info("skipped %s at %s: %s", inbound.header.message_id, where, inbound.reason)
        elif isinstance(inbound, Rejected):
            log.warning("rejected the record at %s (%s): %s", where, inbound.kind, inbound.reason)


def subscribe(broker: KafkaBroker, consumer: LifecycleConsumer, settings: Settings) -> None:
    """Subscribe ``consumer`` to the lifecycle topic on ``broker``."""

    async def decoder(message: StreamMessage[ConsumerRecord[Any, Any]]) -> Inbound:
        record = message.raw_message
        return read(Position(record.topic, record.partition, record.offset), record.value)

    @broker.subscriber(
        settings.topic,
        group_id=settings.group_id,
        auto_offset_reset=settings.offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=decoder,
    )
    async def on_record(inbound: Event | Skipped | Rejected) -> None:
        await consumer.handle(inbound)


def create_app(settings: Settings | None = None) -> FastStream:
    """The service: the read model is opened (and its schema created) before consuming."""
    settings = settings or Settings.from_env()
    read_model = ReadModel(settings.database_url)
    broker = KafkaBroker(settings.kafka_bootstrap_servers, client_id="lifecycle-consumer")
    subscribe(broker, LifecycleConsumer(read_model), settings)
    return FastStream(broker, on_startup=[read_model.open], after_shutdown=[read_model.close])


def main() -> None:
    """Run until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(create_app().run())
