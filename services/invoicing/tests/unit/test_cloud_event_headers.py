"""Invoicing's events are CloudEvents in the Kafka binding's binary mode: the SDK reads
one back as its envelope's type, id, time, invoicing as source and the job as subject."""

import json
import uuid
from datetime import datetime

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from jobline_invoicing.adapters.events import KafkaEventPublisher
from jobline_invoicing.domain.commands import Causation
from jobline_invoicing.domain.events import InvoiceRenderFailed

pytestmark = pytest.mark.unit


class RecordingProducer:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_and_wait(self, topic, value=None, key=None, headers=None):
        self.sent.append({"value": value, "key": key, "headers": dict(headers or [])})


async def test_an_invoicing_event_reads_as_its_envelope_s_cloud_event():
    producer = RecordingProducer()
    job_id, cause = uuid.uuid4(), Causation("acme", uuid.uuid4(), uuid.uuid4())
    failed = InvoiceRenderFailed(job_id, "INV-1", "a" * 64, "UndefinedError: x")
    await KafkaEventPublisher(producer).publish(failed, cause)
    [sent] = producer.sent

    event = from_binary(KafkaMessage(sent["headers"], sent["key"], sent["value"]), JSONFormat())
    envelope = json.loads(sent["value"])
    assert event.get_type() == "dev.jobline.invoice.render_failed"
    assert event.get_id() == envelope["message_id"]
    assert event.get_source() == "/jobline/invoicing"
    assert event.get_subject() == str(job_id)
    assert event.get_time() == datetime.fromisoformat(envelope["occurred_at"])
    assert event.get_data() == envelope
    assert sent["headers"]["message-type"] == b"invoice.render_failed"
