"""A comms worker SIGKILLed in the middle of a batch of five-times-published commands:
no delivery reaches the provider twice, and every one is delivered or reported unknown."""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from jobline_contracts.topics import COMMS_COMMANDS
from jobline_testing.kafka import FactPublisher
from jobline_testing.polling import eventually
from jobline_testing.sandboxes import Sandboxes, running_sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = pytest.mark.e2e
GOLDEN_SMS = (
    Path(__file__).resolve().parents[4] / "contracts/examples/comms.commands.v1/sms.send.v1.json"
)
DELIVERIES, COPIES = 20, 5
# Each create is answered after 1.5 s, so a kill finds calls in flight; the status
# callbacks come 6 s apart, so those of messages created before the kill reach the
# fresh worker (same port) rather than the dead one.
LATENCY_MS, CALLBACK_DELAY_MS = 1500, 6000
KILL_AFTER_CREATES = 4


@pytest.fixture
async def slow_sandboxes(tmp_path: Path) -> AsyncIterator[Sandboxes]:
    async with running_sandboxes(
        tmp_path, twilio_latency_ms=LATENCY_MS, callback_delay_ms=CALLBACK_DELAY_MS
    ) as found:
        yield found


def worker_env(database_url: str, kafka_bootstrap: str, sandboxes: Sandboxes) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        # Own group, reading from when it joined: never other runs' commands.
        "JOBLINE_COMMS_CONSUMER_GROUP": f"comms-crash-{uuid.uuid4().hex[:8]}",
        "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
        "JOBLINE_COMMS_TWILIO_BASE_URL": sandboxes.twilio_url,
        "JOBLINE_COMMS_SMTP_PORT": str(sandboxes.smtp_port),
        "JOBLINE_COMMS_RATE_LIMIT_PER_SECOND": "0",
        # Few calls at once, so the batch is still under way when the worker dies.
        "JOBLINE_COMMS_SEND_CONCURRENCY": "4",
        # A claim older than 4 s lost its worker (the sweep turns it unknown).
        "JOBLINE_COMMS_TWILIO_TIMEOUT": "3",
        "JOBLINE_COMMS_SMTP_TIMEOUT": "3",
        "JOBLINE_COMMS_CLAIM_TIMEOUT": "4",
    }


def fresh_sms(to: str) -> tuple[str, bytes]:
    """The golden sms.send with fresh ids: (delivery id, bytes)."""
    message = json.loads(GOLDEN_SMS.read_text())
    message["message_id"] = str(uuid.uuid4())
    message["correlation_id"] = str(uuid.uuid4())
    message["tenant_id"] = f"t-{uuid.uuid4().hex[:8]}"
    message["payload"] |= {
        "delivery_id": str(uuid.uuid4()),
        "communication_id": str(uuid.uuid4()),
        "to": to,
    }
    return message["payload"]["delivery_id"], json.dumps(message).encode()


async def creates_per_delivery(sandboxes: Sandboxes, ids: list[str]) -> Counter[str]:
    """How many create requests the sandbox received for each delivery (by callback URL)."""
    async with httpx.AsyncClient() as client:
        received = (await client.get(f"{sandboxes.twilio_url}/sandbox/messages")).json()
    found: Counter[str] = Counter()
    for request in received:
        callback = request["status_callback"] or ""
        found.update(d for d in ids if d in callback)
    return found


async def statuses(db: asyncpg.Pool, ids: list[str]) -> dict[str, str]:
    rows = await db.fetch(
        "SELECT delivery_id::text AS id, status FROM comms.deliveries"
        " WHERE delivery_id = ANY($1::uuid[])",
        ids,
    )
    return {r["id"]: r["status"] for r in rows}


async def test_a_worker_killed_mid_batch_never_texts_anyone_twice(
    database_url: str,
    kafka_bootstrap: str,
    slow_sandboxes: Sandboxes,
    service_logs: Path,
    publisher: FactPublisher,
    db: asyncpg.Pool,
) -> None:
    env = worker_env(database_url, kafka_bootstrap, slow_sandboxes)
    first = ServiceProcess("comms", env, service_logs)
    first.env["JOBLINE_COMMS_PUBLIC_BASE_URL"] = first.url
    await asyncio.to_thread(first.start)
    # The fresh worker takes the dead one's port: callbacks Twilio owes still arrive.
    second = ServiceProcess("comms", env, service_logs)
    second.port, second.env = first.port, dict(first.env)
    try:
        commands = [fresh_sms(f"+1555555{n:04d}") for n in range(DELIVERIES)]
        ids = [delivery_id for delivery_id, _ in commands]
        for _ in range(COPIES):
            for delivery_id, raw in commands:
                await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=delivery_id.encode())

        async def taken_in_and_calling() -> bool:
            # Every delivery accepted (so none depends on an uncommitted offset), and the
            # first calls on their way to the provider.
            accepted = len(await statuses(db, ids)) == DELIVERIES
            created = await creates_per_delivery(slow_sandboxes, ids)
            return accepted and sum(created.values()) >= KILL_AFTER_CREATES

        await eventually(taken_in_and_calling, within=60, every=0.05)
        await asyncio.to_thread(first.kill)
        at_kill = await statuses(db, ids)
        created_at_kill = sum((await creates_per_delivery(slow_sandboxes, ids)).values())
        # Killed in the middle: calls in flight, and deliveries not yet attempted.
        assert "claimed" in at_kill.values(), at_kill
        assert created_at_kill < DELIVERIES

        await asyncio.to_thread(second.start)

        async def all_settled() -> bool:
            found = await statuses(db, ids)
            return all(status in {"delivered", "unknown"} for status in found.values())

        await eventually(all_settled, within=90, every=0.2)
        # Stopped (attempts in flight finish first), the worker can send nothing more.
        await asyncio.to_thread(second.stop)
        created = await creates_per_delivery(slow_sandboxes, ids)
        final = await statuses(db, ids)
    finally:
        await asyncio.to_thread(first.stop)
        await asyncio.to_thread(second.stop)

    assert created_at_kill < sum(created.values()), "the fresh worker sent nothing"
    twice = {d: n for d, n in created.items() if n > 1}
    assert not twice, f"deliveries sent more than once: {twice}"
    for delivery_id in ids:
        status = final[delivery_id]
        assert status == "unknown" or (status == "delivered" and created[delivery_id] == 1), (
            delivery_id,
            status,
            created[delivery_id],
        )
