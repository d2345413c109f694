"""Credit notes over HTTP on real PostgreSQL: a tenant that chose the credit-note
convention (through the settings API) gets a numbered credit note for lines lowered
after issue, its invoice unchanged; the default convention still revises."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain import commands
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.builders import line

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
ZONE = "Pacific/Kiritimati"  # UTC+14: the tenant's day is often not UTC's


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path / "blobs")


async def seeded(db, app, convention: str | None) -> TenantSeeder:
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", ZONE).create()
    if convention is not None:
        async with db.acquire() as conn:
            admin = await issue_token(conn, t.tenant_id, "admin")
        async with client(app, admin) as api:
            answer = await api.patch(
                "/v1/tenant/settings", json={"invoice_revision_convention": convention}
            )
        assert answer.status_code == 200, answer.text
    return t


async def issued(t: TenantSeeder) -> uuid.UUID:
    """A job of 100.00 taxable at 10 % (110.00), its invoice issued."""
    job = await t.job(NOW, steps=4, lines=(line("1", "100.00"),), tax_rate="0.1")
    return job.job_id


async def lower(t: TenantSeeder, job_id: uuid.UUID, price: str) -> None:
    lines = (line("1", price),)
    await t.send(commands.ChangeLines(t.tenant_id, NOW, job_id, lines, Decimal("0.1")))


async def invoice(app, t: TenantSeeder, job_id: uuid.UUID) -> dict:
    async with client(app, t.token) as api:
        answer = await api.get(f"/v1/jobs/{job_id}/invoice")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def published(db, job_id: uuid.UUID, kind: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT value FROM jobs.outbox WHERE topic = 'jobs.lifecycle.v1' AND key = $1"
        " ORDER BY outbox_id",
        str(job_id).encode(),
    )
    messages = [json.loads(r["value"]) for r in rows]
    return [m["payload"] for m in messages if m["type"] == kind]


async def test_lowered_lines_give_a_credit_note_and_leave_the_invoice_as_issued(db, app):
    t = await seeded(db, app, "credit_note")
    job_id = await issued(t)
    before = await invoice(app, t, job_id)
    await lower(t, job_id, "87.30")  # 110.00 (10.00 tax) -> 96.03 (8.73 tax)
    after = await invoice(app, t, job_id)
    assert (after["revision"], after["snapshot_sha256"]) == (1, before["snapshot_sha256"])
    assert after["snapshot"] == before["snapshot"]
    assert after["snapshot"]["total"] == "110.00"
    assert (after["billed"], after["balance_due"]) == ("96.03", "96.03")
    (note,) = after["credit_notes"]
    today = NOW.astimezone(ZoneInfo(ZONE)).date().isoformat()
    assert note == {
        "number": "CN-000001",
        "issued_on": today,
        "amount": "13.97",
        "tax": "1.27",
        "revision": 1,
        "cause": "job.lines_changed",
    }
    (credited,) = await published(db, job_id, "invoice.credited")
    assert (credited["credit_note_number"], credited["invoice_number"]) == (
        "CN-000001",
        after["invoice_number"],
    )
    assert (credited["credited"], credited["billed"]) == ("13.97", "96.03")
    assert await published(db, job_id, "invoice.revised") == []
    timeline = await db.fetchval(
        "SELECT count(*) FROM jobs.timeline WHERE job_id = $1 AND type = 'invoice.credited'",
        job_id,
    )
    assert timeline == 1


async def test_a_revised_invoice_tenant_still_gets_revision_2(db, app):
    t = await seeded(db, app, None)  # the default convention
    job_id = await issued(t)
    await lower(t, job_id, "80.00")
    after = await invoice(app, t, job_id)
    assert (after["revision"], after["snapshot"]["total"], after["credit_notes"]) == (
        2,
        "88.00",
        [],
    )
    assert (after["billed"], after["balance_due"]) == ("88.00", "88.00")
    assert await published(db, job_id, "invoice.credited") == []
    seq = "SELECT next_credit_note_seq FROM jobs.tenants WHERE tenant_id = $1"
    assert await db.fetchval(seq, t.tenant_id) == 1


async def test_credit_note_numbers_follow_issue_order(db, app):
    t = await seeded(db, app, "credit_note")
    first, second = await issued(t), await issued(t)
    await lower(t, second, "50.00")  # 110.00 -> 55.00
    await lower(t, first, "90.00")  # 110.00 -> 99.00
    await lower(t, second, "40.00")  # 55.00 -> 44.00
    notes = {j: (await invoice(app, t, j))["credit_notes"] for j in (first, second)}
    assert [(n["number"], n["amount"], n["tax"]) for n in notes[second]] == [
        ("CN-000001", "55.00", "5.00"),
        ("CN-000003", "11.00", "1.00"),
    ]
    assert [(n["number"], n["amount"]) for n in notes[first]] == [("CN-000002", "11.00")]
    invoice_numbers = {(await invoice(app, t, j))["invoice_number"] for j in (first, second)}
    assert invoice_numbers == {"INV-000001", "INV-000002"}
