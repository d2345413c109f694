"""The comms service as operators run it: commands in on Kafka, the real twilio SDK
against the Twilio sandbox, status callbacks back over HTTP, events out on Kafka."""

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest

from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS
from jobline_testing.services import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
GOLDEN_SMS = (
    Path(__file__).resolve().parents[4] / "contracts/examples/comms.commands.v1/sms.send.v1.json"
)


def comms_process(database_url, kafka_bootstrap, sandboxes, service_logs, **settings: str):
    service = ServiceProcess(
        "comms",
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            # Own group, reading from when it joined: never other runs' commands.
            "JOBLINE_COMMS_CONSUMER_GROUP": f"comms-e2e-{uuid.uuid4().hex[:8]}",
            "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
            "JOBLINE_COMMS_TWILIO_BASE_URL": sandboxes.twilio_url,
            "JOBLINE_COMMS_SMTP_PORT": str(sandboxes.smtp_port),
            "JOBLINE_COMMS_RETRY_BASE_SECONDS": "0.2",
            **settings,
        },
        service_logs,
    )
    service.env.setdefault("JOBLINE_COMMS_PUBLIC_BASE_URL", service.url)
    return service


@pytest.fixture
async def comms(database_url, kafka_bootstrap, sandboxes, service_logs):
    service = comms_process(database_url, kafka_bootstrap, sandboxes, service_logs)
    # In a thread: the sandboxes serve from this test's event loop meanwhile.
    await asyncio.to_thread(service.start)
    yield service
    await asyncio.to_thread(service.stop)


@pytest.fixture
async def comms_missing_callbacks(database_url, kafka_bootstrap, sandboxes, service_logs):
    """A comms service whose status callbacks never arrive: the public URL it gives
    Twilio points at a port nobody listens on."""
    service = comms_process(
        database_url,
        kafka_bootstrap,
        sandboxes,
        service_logs,
        JOBLINE_COMMS_PUBLIC_BASE_URL=f"http://127.0.0.1:{free_port()}",
        JOBLINE_COMMS_STATUS_CHECK_AFTER="1",
    )
    await asyncio.to_thread(service.start)
    yield service
    await asyncio.to_thread(service.stop)


def fresh_sms(to: str) -> tuple[str, bytes, str]:
    """The golden sms.send with fresh ids: (delivery id, bytes, message id)."""
    message = json.loads(GOLDEN_SMS.read_text())
    message["message_id"] = str(uuid.uuid4())
    message["correlation_id"] = str(uuid.uuid4())
    message["tenant_id"] = f"t-{uuid.uuid4().hex[:8]}"
    message["payload"] |= {
        "delivery_id": str(uuid.uuid4()),
        "communication_id": str(uuid.uuid4()),
        "to": to,
    }
    return message["payload"]["delivery_id"], json.dumps(message).encode(), message["message_id"]


def status_of(delivery_id: str, status: str):
    def match(seen) -> bool:
        event = json.loads(seen.value)
        return seen.key == delivery_id.encode() and event["payload"]["status"] == status

    return match


async def test_five_copies_of_one_command_text_the_customer_once(
    comms, sandboxes, publisher, watch
):
    events = await watch(COMMS_EVENTS.name)
    delivery_id, raw, message_id = fresh_sms("+15555550101")
    for _ in range(5):
        await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=delivery_id.encode())

    (delivered,) = await events.wait_for(status_of(delivery_id, "delivered"), within=30)
    event = json.loads(delivered.value)
    assert event["causation_id"] == message_id
    assert event["payload"]["provider_message_id"].startswith("SM")
    await events.wait_for(status_of(delivery_id, "sent"))
    async with httpx.AsyncClient() as client:
        received = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
    mine = [r for r in received if delivery_id in (r["status_callback"] or "")]
    assert len(mine) == 1


async def test_failures_are_reported_with_the_providers_code(comms, publisher, watch):
    events = await watch(COMMS_EVENTS.name)
    dead = await watch(COMMS_COMMANDS.dlq)
    invalid, raw, _ = fresh_sms("+15005550001")
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=invalid.encode())
    throttled, raw, _ = fresh_sms("+15005550009")
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=throttled.encode())
    await publisher.publish_raw(COMMS_COMMANDS.name, b"not json", key=b"poison")

    (failed,) = await events.wait_for(status_of(invalid, "failed"))
    assert json.loads(failed.value)["payload"]["error_code"] == "21211"
    await events.wait_for(status_of(throttled, "delivered"), within=30)
    # Only this test's worker's dead letter: other comms processes may share the topic.
    group = comms.env["JOBLINE_COMMS_CONSUMER_GROUP"]
    (poison,) = await dead.wait_for(
        lambda s: s.key == b"poison" and s.headers.get("x-dlq-consumer") == group
    )
    assert poison.headers["x-dlq-kind"] == "not_json"
    assert poison.headers["x-original-topic"] == COMMS_COMMANDS.name


async def test_a_text_whose_callbacks_were_lost_still_reaches_its_final_status(
    comms_missing_callbacks, sandboxes, publisher, watch
):
    events = await watch(COMMS_EVENTS.name)
    delivered, raw, _ = fresh_sms("+15555550102")
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=delivered.encode())
    undelivered, raw, _ = fresh_sms("+15005550006")  # the sandbox's `undelivered` number
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=undelivered.encode())

    await events.wait_for(status_of(delivered, "delivered"), within=30)
    (failed,) = await events.wait_for(status_of(undelivered, "failed"), within=30)
    assert json.loads(failed.value)["payload"]["error_code"] == "30003"
    async with httpx.AsyncClient() as client:
        received = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
    mine = [
        r
        for r in received
        if any(d in (r["status_callback"] or "") for d in (delivered, undelivered))
    ]
    assert len(mine) == 2  # each sent once, never again
    # Every callback the sandbox tried could not connect: the statuses came by asking.
    assert all(r["callbacks"] for r in mine)
    assert all(c["answer_status"] is None for r in mine for c in r["callbacks"])
