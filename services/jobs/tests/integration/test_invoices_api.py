"""Invoices over HTTP on real PostgreSQL, with the invoicing service's replies recorded
through the bus as its events would be: numbers, render requests (one per snapshot, even
under concurrent downloads), current-only PDFs, failures."""

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.domain import commands
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.builders import line

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
# Subjobs bill on the day their parent (scheduled NOW) is worked, in the tenant's zone:
# billable at once.
BILL_ON = NOW.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()
PDF = b"%PDF-1.7\nfake but stored\n%%EOF"


@pytest.fixture
def blob_dir(tmp_path):
    return tmp_path / "blobs"


@pytest.fixture
def app(db: asyncpg.Pool, blob_dir):
    return api_app(db, blob_dir)


async def seeded(db) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "Europe/Berlin").create()


async def render_commands(db, job_id) -> list[dict]:
    rows = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE topic = 'invoicing.commands.v1'"
        " AND key = $1 ORDER BY outbox_id",
        str(job_id).encode(),
    )
    return [json.loads(r["value"]) for r in rows]


async def reply_rendered(t: TenantSeeder, blob_dir, job_id, sha: str, pdf: bytes = PDF) -> None:
    key = f"invoices/{t.tenant_id}/{sha}.pdf"
    await BlobStore(blob_dir.as_uri()).put(key, pdf)
    await t.send(
        commands.RecordInvoiceRender(
            t.tenant_id,
            NOW,
            job_id,
            sha,
            rendered=True,
            blob_key=key,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            pages=1,
            size_bytes=len(pdf),
        )
    )


async def test_no_invoice_before_the_work_passed_its_check(db, app):
    t = await seeded(db)
    job = await t.job(NOW, steps=2)
    async with client(app, t.token) as api:
        answer = await api.get(f"/v1/jobs/{job.job_id}/invoice")
    assert answer.status_code == 409
    assert "awaiting_quality_check" in answer.json()["error"]["message"]


async def test_invoice_numbers_are_unique_per_tenant_and_stable(db, app):
    t = await seeded(db)
    jobs = [await t.job(NOW - timedelta(days=1), steps=3) for _ in range(4)]
    async with client(app, t.token) as api:
        answers = await asyncio.gather(
            *(api.get(f"/v1/jobs/{j.job_id}/invoice") for j in jobs for _ in range(3))
        )
        again = await api.get(f"/v1/jobs/{jobs[0].job_id}/invoice")
    numbers = {
        a.json()["snapshot"]["job_number"]: a.json()["snapshot"]["invoice_number"] for a in answers
    }
    assert sorted(numbers.values()) == ["INV-000001", "INV-000002", "INV-000003", "INV-000004"]
    assert again.json()["snapshot"]["invoice_number"] == numbers[jobs[0].job_number]
    snapshot = again.json()["snapshot"]
    assert (snapshot["total"], snapshot["balance_due"]) == ("100.00", "100.00")
    assert snapshot["due_on"] == str(
        datetime.fromisoformat(snapshot["issued_on"]).date() + timedelta(days=30)
    )


async def test_concurrent_downloads_request_one_render_then_serve_the_pdf(db, app, blob_dir):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=3)
    async with client(app, t.token) as api:
        waiting = await asyncio.gather(
            *(api.get(f"/v1/jobs/{job.job_id}/invoice.pdf") for _ in range(5))
        )
        assert [w.status_code for w in waiting] == [202] * 5
        assert waiting[0].headers["retry-after"] == "2"
        (command,) = await render_commands(db, job.job_id)
        sha = command["payload"]["snapshot_sha256"]
        assert command["type"] == "invoice.render"
        await reply_rendered(t, blob_dir, job.job_id, sha)
        served = await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
        state = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert served.status_code == 200
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert state["pdf"]["status"] == "ready"
    assert state["snapshot_sha256"] == sha


async def test_a_changed_job_never_gets_its_stale_pdf(db, app, blob_dir):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=4, lines=(line("1", "100.00"),))
    async with client(app, t.token) as api:
        await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
        (first,) = await render_commands(db, job.job_id)
        await reply_rendered(t, blob_dir, job.job_id, first["payload"]["snapshot_sha256"])
        assert (await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")).content == PDF
        await t.send(
            commands.RecordPayment(
                t.tenant_id, NOW, job.job_id, uuid.uuid4(), Decimal("40.00"), "card"
            )
        )
        after = await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
        commands_sent = await render_commands(db, job.job_id)
    assert after.status_code == 202  # the old PDF is not current any more
    assert len(commands_sent) == 2
    assert commands_sent[1]["payload"]["snapshot"]["balance_due"] == "60.00"


async def test_a_failed_render_is_visible_on_the_invoice(db, app):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=3)
    async with client(app, t.token) as api:
        await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
        (command,) = await render_commands(db, job.job_id)
        await t.send(
            commands.RecordInvoiceRender(
                t.tenant_id,
                NOW,
                job.job_id,
                command["payload"]["snapshot_sha256"],
                rendered=False,
                reason="TemplateSyntaxError: unexpected '}'",
            )
        )
        pdf = await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
        state = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert pdf.status_code == 502
    assert "TemplateSyntaxError" in pdf.json()["error"]["message"]
    assert state["pdf"] == {
        "status": "failed",
        "sha256": None,
        "pages": None,
        "bytes": None,
        "reason": "TemplateSyntaxError: unexpected '}'",
    }


async def test_a_subjob_invoice_carries_its_share_and_the_schedule(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, lines=(line("1", "1000.01"),))
    async with client(app, t.token) as api:
        for percent in ("20", "80"):
            await api.post(
                f"/v1/jobs/{parent.job_id}/subjobs",
                json={
                    "title": f"Stage {percent}",
                    "share": {"percent": percent},
                    "bill_on": BILL_ON,
                },
            )
        schedule = (await api.get(f"/v1/jobs/{parent.job_id}/subjobs")).json()
        invoice = (await api.get(f"/v1/jobs/{schedule['subjobs'][0]['id']}/invoice")).json()
    share = invoice["snapshot"]["billing_share"]
    assert invoice["snapshot"]["total"] == "200.00"
    assert share["parent_job_number"] == parent.job_number
    assert (Decimal(share["share_percent"]), share["share_amount"]) == (Decimal("0.2"), "200.00")
    assert [s["amount"] for s in share["schedule"]] == ["200.00", "800.01"]
