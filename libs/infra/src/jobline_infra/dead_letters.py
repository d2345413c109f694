"""Dead-lettering a poison message: its bytes and key unchanged, the reason in headers."""

import logging
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord

from jobline_contracts.topics import DLQ_SUFFIX
from jobline_infra.observability.metrics import dead_lettered

log = logging.getLogger(__name__)


class DeadLetters:
    """Sends messages that cannot be processed to ``<topic>.dlq``, naming the consumer
    (group) that gave up on them."""

    def __init__(self, producer: AIOKafkaProducer, consumer_name: str) -> None:
        self._producer, self._consumer_name = producer, consumer_name

    async def send(self, record: "ConsumerRecord[Any, Any]", kind: str, reason: str) -> None:
        """Dead-letter ``record`` with ``x-dlq-*`` and ``x-original-*`` headers."""
        log.warning(
            "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        headers = [
            ("x-dlq-kind", kind.encode()),
            ("x-dlq-reason", reason.encode()),
            ("x-dlq-consumer", self._consumer_name.encode()),
            ("x-original-topic", record.topic.encode()),
            ("x-original-partition", str(record.partition).encode()),
            ("x-original-offset", str(record.offset).encode()),
        ]
        await self._producer.send_and_wait(
            record.topic + DLQ_SUFFIX, value=record.value, key=record.key, headers=headers
        )
        dead_lettered(record.topic, kind)
