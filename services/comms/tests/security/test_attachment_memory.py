"""Attachments in flight are bounded by bytes, not only by a count of attempts: twenty
emails with 15 MiB of attachments each, all due at once, go out from the real comms
process to the SMTP catcher while its resident memory stays under 400 MB."""

import asyncio
import email
import email.policy
import hashlib
import json
import os
import time
import uuid
from pathlib import Path

import pytest

from jobline_contracts.topics import COMMS_COMMANDS
from jobline_infra.blob_store import BlobStore
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e]
GOLDEN = (
    Path(__file__).resolve().parents[4] / "contracts/examples/comms.commands.v1/email.send.v1.json"
)
MIB = 1024 * 1024
EMAILS = 20
FILES_PER_EMAIL = 3  # 3 x 5 MiB: 15 MiB of attachments per email
RSS_LIMIT = 400 * 1000 * 1000


def email_with(tenant: str, files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    message = json.loads(GOLDEN.read_text())
    message |= {"message_id": str(uuid.uuid4()), "tenant_id": tenant}
    message["payload"] |= {"delivery_id": str(uuid.uuid4()), "communication_id": str(uuid.uuid4())}
    message["payload"]["attachments"] = [
        {
            "blob_key": key,
            "filename": f"photo-{n}.jpg",
            "content_type": "image/jpeg",
            "size_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        for n, (key, data) in enumerate(files)
    ]
    return message["payload"]["delivery_id"], json.dumps(message).encode()


async def test_twenty_emails_with_15_mib_each_are_delivered_within_400_mb_of_rss(
    comms_service: ServiceProcess, sandboxes: Sandboxes, blob_dir: Path, publisher
):
    tenant = f"acme-{uuid.uuid4().hex[:8]}"
    blobs = BlobStore(blob_dir.as_uri())
    files = []
    for n in range(FILES_PER_EMAIL):
        key, data = f"{tenant}/jobs/photos/{n}.jpg", os.urandom(5 * MIB)  # incompressible
        await blobs.put(key, data)
        files.append((key, data))
    commands = [email_with(tenant, files) for _ in range(EMAILS)]
    digests = [hashlib.sha256(data).hexdigest() for _, data in files]
    del files
    mail = sandboxes.mail_dir

    def received() -> list[Path]:
        """Whole messages the catcher took (it writes each to a hidden file first)."""
        return [p for p in mail.glob("*.eml") if p.stat().st_size > 15 * MIB]

    before = comms_service.rss_bytes()
    for delivery_id, raw in commands:
        await publisher.publish_raw(COMMS_COMMANDS.name, raw, key=delivery_id.encode())
    peak, deadline = before, time.monotonic() + 300
    while len(received()) < EMAILS:
        assert time.monotonic() < deadline, (
            f"{len(received())} of {EMAILS} received in time; peak RSS {peak / MIB:.0f} MiB"
        )
        peak = max(peak, comms_service.rss_bytes())
        await asyncio.sleep(0.02)  # the sampling period, not a wait for the outcome
    peak = max(peak, comms_service.rss_bytes())
    print(f"comms RSS: {before / MIB:.0f} MiB before, {peak / MIB:.0f} MiB at its peak")  # noqa: T201 - the figure the issue asks for
    assert peak <= RSS_LIMIT, f"comms RSS peaked at {peak / MIB:.0f} MiB"
    # Each delivery once (its Message-ID is its delivery id), every attachment whole.
    ids = []
    for path in received():
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        ids.append(parsed["Message-ID"].strip("<>").split("@")[0])
        attached = [part.get_content() for part in parsed.iter_attachments()]
        assert [hashlib.sha256(a).hexdigest() for a in attached] == digests
    assert sorted(ids) == sorted(delivery_id for delivery_id, _ in commands)
