"""Two comms worker processes in one consumer group: both send, and the per-sender rate
limit (kept in PostgreSQL) holds across them."""

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from random import randint
from urllib.parse import urlsplit

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
RATE = 2  # messages per second per sender
PER_SENDER = 10
# Slots are RATE apart by the database clock; a request reaches the sandbox a little
# after its slot starts (claim, HTTP), by an amount that varies from one to the next.
TOLERANCE_S = 0.15


@pytest.fixture
async def slow_sandboxes(tmp_path: Path) -> AsyncIterator[Sandboxes]:
    async with running_sandboxes(tmp_path, twilio_latency_ms=200) as found:
        yield found


def fresh_sms(tenant_id: str, to: str) -> tuple[str, bytes]:
    """The golden sms.send with fresh ids for ``tenant_id``: (delivery id, bytes)."""
    message = json.loads(GOLDEN_SMS.read_text())
    message["message_id"] = str(uuid.uuid4())
    message["correlation_id"] = str(uuid.uuid4())
    message["tenant_id"] = tenant_id
    message["payload"] |= {
        "delivery_id": str(uuid.uuid4()),
        "communication_id": str(uuid.uuid4()),
        "to": to,
    }
    return message["payload"]["delivery_id"], json.dumps(message).encode()


def most_in_a_second(times: list[datetime]) -> int:
    """The most requests in any sliding window of one second (less the tolerance)."""
    stamps = sorted(t.timestamp() for t in times)
    return max(
        sum(1 for later in stamps[i:] if later - start < 1.0 - TOLERANCE_S)
        for i, start in enumerate(stamps)
    )


async def test_two_workers_share_the_load_within_the_senders_rate(
    database_url: str,
    kafka_bootstrap: str,
    slow_sandboxes: Sandboxes,
    service_logs: Path,
    publisher: FactPublisher,
    db: asyncpg.Pool,
) -> None:
    # Numbers of this run only: the rate-limit rows of earlier tests stay in the database.
    senders = {f"t-{uuid.uuid4().hex[:8]}": f"+1555{randint(0, 9_999_999):07d}" for _ in "ab"}  # noqa: S311 - not a secret
    env = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "JOBLINE_COMMS_CONSUMER_GROUP": f"comms-pair-{uuid.uuid4().hex[:8]}",
        "JOBLINE_COMMS_AUTO_OFFSET_RESET": "latest",
        "JOBLINE_COMMS_TWILIO_BASE_URL": slow_sandboxes.twilio_url,
        "JOBLINE_COMMS_SMTP_PORT": str(slow_sandboxes.smtp_port),
        "JOBLINE_COMMS_RATE_LIMIT_PER_SECOND": str(RATE),
        "JOBLINE_COMMS_SMS_SENDERS": json.dumps(senders),
        # Two attempts at a time each: one worker cannot lease the whole batch.
        "JOBLINE_COMMS_SEND_CONCURRENCY": "2",
    }
    workers = [ServiceProcess("comms", env, service_logs) for _ in range(2)]
    for worker in workers:
        worker.env["JOBLINE_COMMS_PUBLIC_BASE_URL"] = worker.url
    try:
        # Each is ready once it holds partitions: the second only after the rebalance.
        for worker in workers:
            await asyncio.to_thread(worker.start)
        commands = [
            fresh_sms(tenant, f"+1555666{n:04d}") for tenant in senders for n in range(PER_SENDER)
        ]
        ids = [delivery_id for delivery_id, _ in commands]
        for delivery_id, raw in commands:
            await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=delivery_id.encode())

        async def all_delivered() -> bool:
            delivered = await db.fetchval(
                "SELECT count(*) FROM comms.deliveries"
                " WHERE delivery_id = ANY($1::uuid[]) AND status = 'delivered'",
                ids,
            )
            return bool(delivered == len(ids))

        await eventually(all_delivered, within=60, every=0.2)
    finally:
        for worker in workers:
            await asyncio.to_thread(worker.stop)

    async with httpx.AsyncClient() as client:
        received = (await client.get(f"{slow_sandboxes.twilio_url}/sandbox/messages")).json()
    mine = [r for r in received if any(d in (r["status_callback"] or "") for d in ids)]
    assert len(mine) == len(ids)
    # Each worker gives Twilio its own callback URL: the port says who sent.
    by_worker = {urlsplit(r["status_callback"]).port for r in mine}
    assert by_worker == {w.port for w in workers}
    times: dict[str, list[datetime]] = defaultdict(list)
    for request in mine:
        times[request["from"]].append(datetime.fromisoformat(request["received_at"]))
    assert set(times) == set(senders.values())
    for sender, sent_at in times.items():
        assert most_in_a_second(sent_at) <= RATE, (sender, sorted(sent_at))
