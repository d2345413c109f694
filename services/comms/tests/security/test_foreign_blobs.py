"""A send command is only as trustworthy as whoever could write to its topic: one naming
another tenant's stored file is dead-lettered at intake, and nothing is fetched or sent."""

import hashlib
import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS
from jobline_infra.blob_store import BlobStore
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e]
GOLDEN = (
    Path(__file__).resolve().parents[4] / "contracts/examples/comms.commands.v1/email.send.v1.json"
)
PDF = b"%PDF-1.7 the other tenant's invoice"


def email_naming(tenant: str, blob_key: str) -> tuple[str, bytes]:
    """The golden email.send from ``tenant``, attaching the file at ``blob_key``."""
    message = json.loads(GOLDEN.read_text())
    message |= {"message_id": str(uuid.uuid4()), "tenant_id": tenant}
    message["payload"] |= {"delivery_id": str(uuid.uuid4()), "communication_id": str(uuid.uuid4())}
    message["payload"]["attachments"][0] |= {
        "blob_key": blob_key,
        "size_bytes": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    return message["payload"]["delivery_id"], json.dumps(message).encode()


async def test_a_command_naming_another_tenants_blob_is_dead_lettered_and_nothing_is_sent(
    comms_service: ServiceProcess,
    sandboxes: Sandboxes,
    blob_dir: Path,
    database_url: str,
    publisher,
    watch,
):
    suffix = uuid.uuid4().hex[:8]
    mine, theirs = f"acme-{suffix}", f"globex-{suffix}"
    # The other tenant's file exists and matches the command's size and sha256: only
    # the tenant check stands between it and the attacker's mailbox.
    await BlobStore(blob_dir.as_uri()).put(f"{theirs}/invoices/INV-1.pdf", PDF)
    await BlobStore(blob_dir.as_uri()).put(f"{mine}/invoices/INV-2.pdf", PDF)
    dead, events = await watch(COMMS_COMMANDS.dlq), await watch(COMMS_EVENTS.name)

    foreign, raw = email_naming(mine, f"{theirs}/invoices/INV-1.pdf")
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=foreign.encode())
    escaping, raw = email_naming(mine, f"{mine}/../{theirs}/invoices/INV-1.pdf")
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=escaping.encode())
    own, raw = email_naming(mine, f"{mine}/invoices/INV-2.pdf")
    await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=own.encode())

    group = comms_service.env["JOBLINE_COMMS_CONSUMER_GROUP"]
    letters = await dead.wait_for(
        lambda s: (
            s.key in (foreign.encode(), escaping.encode())
            and s.headers.get("x-dlq-consumer") == group
        ),
        count=2,
        within=30,
    )
    for letter in letters:
        assert letter.headers["x-dlq-kind"] == "foreign_blob_key"
        assert "must be under the message's tenant" in letter.headers["x-dlq-reason"]
    # Its own tenant's email, published after them, went out: the worker had moved on.
    await events.wait_for(
        lambda s: (
            s.key == own.encode()
            and json.loads(s.value)["payload"]["status"] in ("sent", "delivered")
        ),
        within=30,
    )
    sent = [p.read_bytes() for p in sandboxes.mail_dir.glob("*.eml")]
    assert [m for m in sent if own.encode() in m]
    assert not [m for m in sent if foreign.encode() in m or escaping.encode() in m]
    # (No look at comms.events.v1 for them: other comms processes, with their own
    # groups and blob stores, read the shared topic too.)
    connection = await asyncpg.connect(database_url)
    try:
        recorded = await connection.fetchval(
            "SELECT count(*) FROM comms.deliveries WHERE delivery_id = ANY($1::uuid[])",
            [uuid.UUID(foreign), uuid.UUID(escaping)],
        )
    finally:
        await connection.close()
    assert recorded == 0
