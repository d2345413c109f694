"""Invoices over HTTP on real PostgreSQL, with the invoicing service's replies recorded
through the bus as its events would be: issuing (never by reading), numbers in issue
order, revisions, render requests (one per snapshot, even under concurrent downloads),
current-only PDFs, failures, what a canceled job owes."""

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.adapters.tokens import issue_token
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


async def test_a_viewers_read_of_an_invoice_not_issued_is_404_and_assigns_nothing(db, app):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=3)  # awaiting billing: not issued
    async with db.acquire() as conn:
        viewer = await issue_token(conn, t.tenant_id, "viewer")
    async with client(app, viewer) as api:
        answers = [await api.get(f"/v1/jobs/{job.job_id}/invoice") for _ in range(2)]
        pdf = await api.get(f"/v1/jobs/{job.job_id}/invoice.pdf")
    for answer in [*answers, pdf]:
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_issued"
        assert "not issued" in answer.json()["error"]["message"]
    invoices = "SELECT count(*) FROM jobs.invoices WHERE tenant_id = $1"
    assert await db.fetchval(invoices, t.tenant_id) == 0
    seq = "SELECT next_invoice_seq FROM jobs.tenants WHERE tenant_id = $1"
    assert await db.fetchval(seq, t.tenant_id) == 1
    assert await render_commands(db, job.job_id) == []


async def test_job_invoiced_with_past_dates_gives_an_invoice_with_exactly_those_dates(db, app):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=40), steps=3)
    issued, due = date(2026, 1, 5), date(2026, 2, 4)
    await t.send(commands.IssueInvoice(t.tenant_id, NOW, job.job_id, issued, due))
    async with client(app, t.token) as api:
        invoice = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert (invoice["snapshot"]["issued_on"], invoice["snapshot"]["due_on"]) == (
        "2026-01-05",
        "2026-02-04",
    )
    assert (invoice["invoice_number"], invoice["revision"], invoice["status"]) == (
        "INV-000001",
        1,
        "issued",
    )
    stored = await db.fetchrow(
        "SELECT snapshot, snapshot_sha256 FROM jobs.invoice_revisions WHERE job_id = $1",
        job.job_id,
    )
    assert stored["snapshot_sha256"] == invoice["snapshot_sha256"]
    assert json.loads(stored["snapshot"]) == invoice["snapshot"]


async def test_numbers_follow_issue_order_across_two_tenants(db, app):
    acme, harbour = await seeded(db), await seeded(db)
    a = [await acme.job(NOW, steps=3) for _ in range(3)]
    h = [await harbour.job(NOW, steps=3) for _ in range(2)]
    # Issued in an order unlike creation and unlike reading.
    order = [(acme, a[2]), (harbour, h[1]), (acme, a[0]), (acme, a[1]), (harbour, h[0])]
    for tenant, job in order:
        async with client(app, tenant.token) as api:
            answer = await api.post(f"/v1/jobs/{job.job_id}/invoice", json={})
            assert answer.status_code == 201, answer.text
    numbers = {}
    for tenant, job in order:
        async with client(app, tenant.token) as api:
            numbers[job.job_id] = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert [numbers[j.job_id]["invoice_number"] for _, j in order] == [
        "INV-000001",
        "INV-000001",
        "INV-000002",
        "INV-000003",
        "INV-000002",
    ]
    snapshot = numbers[a[2].job_id]["snapshot"]
    assert (snapshot["total"], snapshot["balance_due"]) == ("100.00", "100.00")
    assert snapshot["due_on"] == str(date.fromisoformat(snapshot["issued_on"]) + timedelta(days=30))


async def test_issue_invoice_is_an_operators_action_done_once(db, app):
    t = await seeded(db)
    job = await t.job(NOW, steps=3)
    async with db.acquire() as conn:
        viewer = await issue_token(conn, t.tenant_id, "viewer")
    async with client(app, viewer) as api:
        assert (await api.post(f"/v1/jobs/{job.job_id}/invoice")).status_code == 403
    async with client(app, t.token) as api:
        first = await api.post(f"/v1/jobs/{job.job_id}/invoice", json={"due_on": "2027-01-31"})
        again = await api.post(f"/v1/jobs/{job.job_id}/invoice")
        detail = (await api.get(f"/v1/jobs/{job.job_id}")).json()
    assert first.status_code == 201
    assert first.json()["snapshot"]["due_on"] == "2027-01-31"
    assert detail["step"] == "awaiting_payment"
    assert again.status_code == 409
    assert "issued already" in again.json()["error"]["message"]
    revisions = "SELECT count(*) FROM jobs.invoice_revisions WHERE tenant_id = $1"
    assert await db.fetchval(revisions, t.tenant_id) == 1
    events = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE topic = 'jobs.lifecycle.v1' AND key = $1",
        str(job.job_id).encode(),
    )
    issued = [json.loads(e["value"]) for e in events if b'"invoice.issued"' in e["value"]]
    assert len(issued) == 1
    assert issued[0]["payload"]["issued_by"].startswith("operator:")


async def test_a_parent_fully_scheduled_into_subjobs_cannot_be_issued(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, steps=3, lines=(line("1", "1000.01"),))
    async with client(app, t.token) as api:
        for percent in ("20", "20", "60"):
            scheduled = await api.post(
                f"/v1/jobs/{parent.job_id}/subjobs",
                json={"title": "Stage", "share": {"percent": percent}, "bill_on": BILL_ON},
            )
            assert scheduled.status_code == 201, scheduled.text
        refused = await api.post(f"/v1/jobs/{parent.job_id}/invoice")
    assert refused.status_code == 409
    assert "fully scheduled into subjobs: bill the subjobs" in refused.json()["error"]["message"]
    invoices = "SELECT count(*) FROM jobs.invoices WHERE tenant_id = $1"
    assert await db.fetchval(invoices, t.tenant_id) == 0


async def test_a_job_whose_invoice_is_issued_cannot_be_scheduled_into_subjobs(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, steps=3, lines=(line("1", "1000.00"),))
    async with client(app, t.token) as api:
        assert (await api.post(f"/v1/jobs/{parent.job_id}/invoice")).status_code == 201
        refused = await api.post(
            f"/v1/jobs/{parent.job_id}/subjobs",
            json={"title": "Stage", "share": {"percent": "20"}, "bill_on": BILL_ON},
        )
        detail = (await api.get(f"/v1/jobs/{parent.job_id}")).json()
    assert refused.status_code == 409
    assert "billed once already" in refused.json()["error"]["message"]
    menu = {a["action"]: a for a in detail["available_actions"]}
    assert menu["create_subjob"]["allowed"] is False
    subjobs = "SELECT count(*) FROM jobs.jobs WHERE tenant_id = $1 AND parent_job_id = $2"
    assert await db.fetchval(subjobs, t.tenant_id, parent.job_id) == 0


async def test_a_canceled_job_owes_nothing_unless_its_invoice_was_issued(db, app):
    t = await seeded(db)
    never, issued = await t.job(NOW, steps=3), await t.job(NOW, steps=4)
    for job in (never, issued):
        await t.send(commands.CancelJob(t.tenant_id, NOW, job.job_id, "customer moved"))
    async with client(app, t.token) as api:
        listed = (await api.get("/v1/jobs", params={"view": "all"})).json()["items"]
        details = [(await api.get(f"/v1/jobs/{j.job_id}")).json() for j in (never, issued)]
        timeline = (await api.get(f"/v1/jobs/{never.job_id}/timeline")).json()
    balances = {row["number"]: row["money"]["balance_due"] for row in listed}
    assert balances == {never.job_number: "0.00", issued.job_number: "100.00"}
    assert [d["money"]["balance_due"] for d in details] == ["0.00", "100.00"]
    canceled = [e for e in timeline["items"] if e["details"].get("to_step") == "canceled"]
    assert canceled[0]["details"]["reason"] == "customer moved"
    # Voiding the invoice of the canceled job ends what it owed.
    await t.send(commands.VoidInvoice(t.tenant_id, NOW, issued.job_id, "canceled job"))
    async with client(app, t.token) as api:
        after = (await api.get(f"/v1/jobs/{issued.job_id}")).json()
        invoice = (await api.get(f"/v1/jobs/{issued.job_id}/invoice")).json()
    assert after["money"]["balance_due"] == "0.00"
    assert (invoice["status"], invoice["voided_reason"]) == ("voided", "canceled job")


async def test_check_notes_and_payment_methods_are_on_the_timeline(db, app):
    t = await seeded(db)
    job = await t.job(NOW, steps=2)
    check = commands.RecordQualityCheck(
        t.tenant_id, NOW, job.job_id, passed=True, notes="tidy work"
    )
    await t.send(check)
    await t.send(
        commands.RecordPayment(t.tenant_id, NOW, job.job_id, uuid.uuid4(), Decimal(5), "check")
    )
    async with client(app, t.token) as api:
        timeline = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
    details = {e["type"]: e["details"] for e in timeline}
    assert details["job.status_changed"]["notes"] == "tidy work"
    assert details["job.payment_recorded"]["method"] == "check"


async def test_concurrent_downloads_request_one_render_then_serve_the_pdf(db, app, blob_dir):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=4)
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


async def test_a_payment_revises_the_invoice_and_its_pdf(db, app, blob_dir):
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
        invoice = (await api.get(f"/v1/jobs/{job.job_id}/invoice")).json()
    assert after.status_code == 202  # revision 2 has a PDF of its own
    assert len(commands_sent) == 2
    assert commands_sent[1]["payload"]["snapshot"]["balance_due"] == "60.00"
    assert (invoice["revision"], invoice["invoice_number"]) == (2, "INV-000001")


async def test_a_failed_render_is_visible_on_the_invoice(db, app):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=4)
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
        first = schedule["subjobs"][0]["id"]
        assert (await api.post(f"/v1/jobs/{first}/invoice")).status_code == 201
        invoice = (await api.get(f"/v1/jobs/{first}/invoice")).json()
    share = invoice["snapshot"]["billing_share"]
    assert invoice["snapshot"]["total"] == "200.00"
    assert share["parent_job_number"] == parent.job_number
    assert (Decimal(share["share_percent"]), share["share_amount"]) == (Decimal("0.2"), "200.00")
    assert [s["amount"] for s in share["schedule"]] == ["200.00", "800.01"]
