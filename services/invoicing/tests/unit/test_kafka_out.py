"""What goes out to Kafka: events keyed by job id naming their cause; dead letters with
the reason and the original position in headers."""

import json
import uuid

import pytest
from aiokafka import ConsumerRecord

from jobline_infra.dead_letters import DeadLetters
from jobline_invoicing.adapters.events import KafkaEventPublisher
from jobline_invoicing.domain.commands import Causation
from jobline_invoicing.domain.events import InvoiceRenderFailed

pytestmark = pytest.mark.unit


class RecordingProducer:
    """Stands in for AIOKafkaProducer.send_and_wait."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_and_wait(self, topic, value=None, key=None, headers=None):
        self.sent.append({"topic": topic, "value": value, "key": key, "headers": headers})


async def test_events_are_keyed_by_job_and_name_their_cause():
    producer = RecordingProducer()
    job_id, cause = uuid.uuid4(), Causation("acme", uuid.uuid4(), uuid.uuid4())
    failed = InvoiceRenderFailed(job_id, "INV-1", "a" * 64, "UndefinedError: x")
    await KafkaEventPublisher(producer).publish(failed, cause)
    [sent] = producer.sent
    assert (sent["topic"], sent["key"]) == ("invoicing.events.v1", str(job_id).encode())
    envelope = json.loads(sent["value"])
    assert envelope["type"] == "invoice.render_failed"
    assert envelope["tenant_id"] == "acme"
    assert envelope["causation_id"] == str(cause.message_id)
    assert envelope["correlation_id"] == str(cause.correlation_id)
    assert envelope["payload"]["reason"] == "UndefinedError: x"


async def test_dead_letters_keep_the_bytes_and_say_why_in_headers():
    producer = RecordingProducer()
    record = ConsumerRecord("invoicing.commands.v1", 4, 42, 0, 0, b"k", b"junk", None, 1, 4, [])
    await DeadLetters(producer, "invoicing").send(record, "not_json", "not valid JSON")
    [sent] = producer.sent
    assert (sent["topic"], sent["key"]) == ("invoicing.commands.v1.dlq", b"k")
    assert sent["value"] == b"junk"
    assert dict(sent["headers"]) == {
        "x-dlq-kind": b"not_json",
        "x-dlq-reason": b"not valid JSON",
        "x-dlq-consumer": b"invoicing",
        "x-original-topic": b"invoicing.commands.v1",
        "x-original-partition": b"4",
        "x-original-offset": b"42",
    }
