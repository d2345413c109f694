"""Facts, and events from comms and invoicing, as a stranger with write access to their
topics would send them, with a megabyte in one text field: dead-lettered with a short
reason naming the field's bound, nothing recorded, and the consumer moves on."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from jobline_contracts.topics import COMMS_EVENTS, DISPATCH_EVENTS, INVOICING_EVENTS
from jobline_testing.kafka import FactPublisher
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e]
EXAMPLES = Path(__file__).resolve().parents[4] / "contracts/examples"
MEGABYTE = "x" * 1_000_000  # the whole record stays under the broker's 1 MiB default


def golden(topic: str, name: str, tenant: str, **payload: Any) -> bytes:
    message = json.loads((EXAMPLES / topic / name).read_text())
    message |= {"message_id": str(uuid.uuid4()), "tenant_id": tenant}
    message["payload"] |= payload
    return json.dumps(message).encode()


@pytest.mark.parametrize(
    ("topic", "example", "field"),
    [
        (COMMS_EVENTS.name, "delivery.status_changed.v1.json", "error_message"),
        (COMMS_EVENTS.name, "delivery.status_changed.v1.json", "provider_message_id"),
        (COMMS_EVENTS.name, "recipient.opted_out.v1.json", "keyword"),
        (INVOICING_EVENTS.name, "invoice.render_failed.v1.json", "reason"),
        (INVOICING_EVENTS.name, "invoice.rendered.v1.json", "blob_key"),
        (DISPATCH_EVENTS.name, "job.canceled.v1.json", "reason"),
        (DISPATCH_EVENTS.name, "document.added.v1.json", "content_type"),
    ],
)
async def test_a_megabyte_field_is_dead_lettered_with_its_bound_as_the_reason(
    jobs_service: ServiceProcess,
    publisher: FactPublisher,
    tenant: str,
    watch,
    topic: str,
    example: str,
    field: str,
):
    dead = await watch(f"{topic}.dlq")
    key = uuid.uuid4().hex.encode()
    await publisher.publish_raw(topic, golden(topic, example, tenant, **{field: MEGABYTE}), key)

    [letter] = await dead.wait_for(lambda s: s.key == key, within=30)  # the key is ours alone
    assert letter.headers["x-dlq-consumer"].startswith("jobs")
    assert letter.headers["x-dlq-kind"] == "bad_payload"
    reason = letter.headers["x-dlq-reason"]
    assert reason.startswith(f"{field}: String should have at most")
    assert len(reason) < 500
