"""A delivery id in a send command is only as trustworthy as whoever wrote the command: a
command reusing another tenant's delivery id is no redelivery of that delivery. It is
dead-lettered (``foreign_reference``), and that delivery is neither republished, resent
nor touched."""

import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e]
GOLDEN = (
    Path(__file__).resolve().parents[4] / "contracts/examples/comms.commands.v1/email.send.v1.json"
)


def email(tenant: str, delivery_id: str) -> tuple[str, bytes]:
    """The golden email.send (without attachments) from ``tenant`` for ``delivery_id``."""
    message = json.loads(GOLDEN.read_text())
    message_id = str(uuid.uuid4())
    message |= {"message_id": message_id, "tenant_id": tenant}
    message["payload"] |= {"delivery_id": delivery_id, "attachments": []}
    return message_id, json.dumps(message).encode()


async def test_a_command_reusing_another_tenants_delivery_id_is_dead_lettered_unapplied(
    comms_service: ServiceProcess,
    sandboxes: Sandboxes,
    database_url: str,
    publisher,
    watch,
):
    suffix = uuid.uuid4().hex[:8]
    mine, theirs = f"acme-{suffix}", f"globex-{suffix}"
    delivery = str(uuid.uuid4())
    dead, events = await watch(COMMS_COMMANDS.dlq), await watch(COMMS_EVENTS.name)

    _, raw = email(mine, delivery)
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=delivery.encode())
    await events.wait_for(
        lambda s: (
            s.key == delivery.encode()
            and json.loads(s.value)["payload"]["status"] in ("sent", "delivered")
        ),
        within=30,
    )
    foreign, raw = email(theirs, delivery)
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=delivery.encode())

    group = comms_service.env["JOBLINE_COMMS_CONSUMER_GROUP"]
    [letter] = await dead.wait_for(
        lambda s: s.key == delivery.encode() and s.headers.get("x-dlq-consumer") == group,
        within=30,
    )
    assert letter.headers["x-dlq-kind"] == "foreign_reference"
    reason = letter.headers["x-dlq-reason"]
    assert "may name only deliveries of its own tenant" in reason
    assert mine not in reason  # the stranger learns nothing of whose delivery it was
    assert json.loads(letter.value)["message_id"] == foreign

    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT tenant_id, status FROM comms.deliveries WHERE delivery_id = $1",
            uuid.UUID(delivery),
        )
        remembered = await connection.fetchval(
            "SELECT count(*) FROM comms.processed_messages WHERE message_id = $1",
            uuid.UUID(foreign),
        )
    finally:
        await connection.close()
    assert (row["tenant_id"], row["status"]) in ((mine, "sent"), (mine, "delivered"))
    assert remembered == 0  # if it comes again, it is refused again
    sent = [p.read_bytes() for p in sandboxes.mail_dir.glob("*.eml")]
    assert len([m for m in sent if delivery.encode() in m]) == 1
