"""A render command naming another tenant's logo, as a stranger with write access to the
topic would send it: dead-lettered before anything is drawn or stored, so no PDF of this
tenant ever shows another tenant's file."""

import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobline_contracts.topics import INVOICING_COMMANDS, INVOICING_EVENTS
from jobline_infra.blob_store import BlobStore
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.services import ServiceProcess

pytestmark = pytest.mark.e2e
GOLDEN = (
    Path(__file__).resolve().parents[4]
    / "contracts/examples/invoicing.commands.v1/invoice.render.v1.json"
)


@pytest.fixture(scope="module")
def invoicing(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, Path]]:
    blobs = tmp_path_factory.mktemp("invoicing-blobs")
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        # Own group, reading from when it joined: never other runs' commands.
        "JOBLINE_INVOICING_CONSUMER_GROUP": f"invoicing-security-{uuid.uuid4().hex[:8]}",
        "JOBLINE_INVOICING_AUTO_OFFSET_RESET": "latest",
        "JOBLINE_INVOICING_BLOB_URL": blobs.as_uri(),
    }
    service = ServiceProcess("invoicing", env, tmp_path_factory.mktemp("invoicing-logs"))
    service.start()
    yield service, blobs
    service.stop()


def render_with_logo(tenant: str, logo_key: str) -> tuple[dict, bytes]:
    """The golden command from ``tenant``, for a fresh snapshot, with the logo at ``logo_key``."""
    message = json.loads(GOLDEN.read_text())
    message |= {"message_id": str(uuid.uuid4()), "tenant_id": tenant}
    message["payload"]["snapshot_sha256"] = secrets.token_hex(32)
    message["payload"]["snapshot"]["branding"]["logo_blob_key"] = logo_key
    return message, json.dumps(message).encode()


async def test_a_render_naming_another_tenants_logo_is_dead_lettered_and_nothing_drawn(
    invoicing: tuple[ServiceProcess, Path], logo_png: bytes, publisher: FactPublisher, watch
):
    service, blobs = invoicing
    suffix = uuid.uuid4().hex[:8]
    mine, theirs = f"acme-{suffix}", f"globex-{suffix}"
    await BlobStore(blobs.as_uri()).put(f"{theirs}/tenant/logo/secret", logo_png)
    await BlobStore(blobs.as_uri()).put(f"{mine}/tenant/logo/own", logo_png)
    dead, events = await watch(INVOICING_COMMANDS.dlq), await watch(INVOICING_EVENTS.name)

    foreign, raw = render_with_logo(mine, f"{theirs}/tenant/logo/secret")
    await publisher.publish_raw(INVOICING_COMMANDS.name, raw, foreign["message_id"].encode())
    own, raw = render_with_logo(mine, f"{mine}/tenant/logo/own")
    await publisher.publish_raw(INVOICING_COMMANDS.name, raw, own["message_id"].encode())

    group = service.env["JOBLINE_INVOICING_CONSUMER_GROUP"]
    (letter,) = await dead.wait_for(
        lambda s: (
            s.key == foreign["message_id"].encode() and s.headers.get("x-dlq-consumer") == group
        )
    )
    assert letter.headers["x-dlq-kind"] == "foreign_blob_key"
    assert "must be under the message's tenant" in letter.headers["x-dlq-reason"]
    # Its own tenant's render, sent after it, was drawn: the worker had moved on.
    await events.wait_for(caused_by(own, "invoice.rendered"), within=60)
    assert not events.matching(caused_by(foreign, None))
    assert len(list((blobs / "invoices" / mine).glob("*.pdf"))) == 1


def caused_by(message: dict, event_type: str | None):
    def match(seen: Seen) -> bool:
        event = json.loads(seen.value)
        return event["causation_id"] == message["message_id"] and (
            event_type is None or event["type"] == event_type
        )

    return match
