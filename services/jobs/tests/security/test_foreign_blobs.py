"""Messages naming another tenant's stored file, as a stranger with write access to a
topic would send them: dead-lettered, and nothing recorded that could later serve or send
that file under this tenant's name."""

import hashlib
import uuid

import asyncpg
import pytest

from jobline_contracts import facts, invoicing
from jobline_contracts.topics import DISPATCH_EVENTS, INVOICING_EVENTS
from jobline_testing.kafka import FactPublisher, wrap
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e]


def rendered(job_id: uuid.UUID, blob_key: str) -> invoicing.InvoiceRendered:
    return invoicing.InvoiceRendered(
        job_id=job_id,
        invoice_number="INV-000001",
        snapshot_sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        blob_key=blob_key,
        sha256="a" * 64,
        pages=1,
        bytes=2048,
    )


async def test_an_invoice_rendered_naming_another_tenants_pdf_is_dead_lettered_unrecorded(
    jobs_service: ServiceProcess,
    publisher: FactPublisher,
    db: asyncpg.Pool,
    tenant: str,
    watch,
):
    dead = await watch(INVOICING_EVENTS.dlq)
    job_id = uuid.uuid4()
    # A rendered PDF is final for its snapshot: recorded first, the foreign key would be
    # the one this tenant's download serves and its send attaches, for good.
    foreign = rendered(job_id, f"invoices/other-{tenant}/{'b' * 64}.pdf")
    escaping = rendered(job_id, f"invoices/{tenant}/../other-{tenant}/{'b' * 64}.pdf")
    own = rendered(job_id, f"invoices/{tenant}/{'c' * 64}.pdf")
    await db.execute(  # the tenant asked for its render: an outcome of no request is refused
        "INSERT INTO jobs.invoice_renders (tenant_id, job_id, snapshot_sha256, status)"
        " VALUES ($1, $2, $3, 'requested')",
        tenant,
        job_id,
        own.snapshot_sha256,
    )
    for payload in (foreign, escaping, own):
        await publisher.publish(INVOICING_EVENTS.name, wrap(payload, tenant), str(job_id))

    letters = await dead.wait_for(
        lambda s: (
            s.key == str(job_id).encode() and s.headers.get("x-dlq-kind") == "foreign_blob_key"
        ),
        count=2,
    )
    assert all("must be under the message's tenant" in s.headers["x-dlq-reason"] for s in letters)

    async def snapshots() -> dict[str, str]:
        rows = await db.fetch(
            "SELECT snapshot_sha256, blob_key FROM jobs.invoice_renders"
            " WHERE tenant_id = $1 AND job_id = $2",
            tenant,
            job_id,
        )
        return {r["snapshot_sha256"]: r["blob_key"] for r in rows}

    async def own_recorded() -> bool:
        return (await snapshots()).get(own.snapshot_sha256) == own.blob_key

    # The tenant's own render, published after them, was recorded: the consumer moved on.
    await eventually(own_recorded, within=30)
    assert await snapshots() == {own.snapshot_sha256: own.blob_key}


async def test_a_document_naming_another_tenants_file_is_dead_lettered_unrecorded(
    jobs_service: ServiceProcess,
    publisher: FactPublisher,
    db: asyncpg.Pool,
    tenant: str,
    watch,
):
    dead = await watch(DISPATCH_EVENTS.dlq)
    story = JobStory(tenant)
    key = str(story.property_id)
    foreign = document(story, f"other-{tenant}/properties/{key}/documents/{uuid.uuid4()}")
    own = document(story, f"{tenant}/properties/{key}/documents/{uuid.uuid4()}")
    for fact in (story.customer(), story.property(), foreign, own):
        await publisher.publish(DISPATCH_EVENTS.name, story.envelope(fact), key)

    (letter,) = await dead.wait_for(
        lambda s: s.key == key.encode() and s.headers.get("x-dlq-kind") == "foreign_blob_key"
    )
    assert "must be under the message's tenant" in letter.headers["x-dlq-reason"]

    async def stored() -> set[uuid.UUID]:
        rows = await db.fetch("SELECT document_id FROM jobs.documents WHERE tenant_id = $1", tenant)
        return {r["document_id"] for r in rows}

    # The tenant's own document, sent after it, was stored: the consumer moved on.
    await eventually(lambda: _has(stored, own.document_id), within=30)
    assert await stored() == {own.document_id}


def document(story: JobStory, blob_key: str) -> facts.DocumentAdded:
    return facts.DocumentAdded(
        document_id=uuid.uuid4(),
        property_id=story.property_id,
        kind=facts.DocumentKind.DOCUMENT,
        blob_key=blob_key,
        filename="contract.pdf",
        content_type="application/pdf",
        size_bytes=1024,
    )


async def _has(found, one: object) -> bool:
    return one in await found()
