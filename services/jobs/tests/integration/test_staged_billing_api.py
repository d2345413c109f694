"""Parents and subjobs never bill the same money twice: a parent fully scheduled into
subjobs has a statement, not an invoice for its total; the list counts each dollar once;
a subjob's payment lowers the parent's outstanding balance; dates are checked."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from jobline_jobs.domain import commands
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.builders import line

pytestmark = pytest.mark.integration
ZONE = "America/New_York"
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.astimezone(ZoneInfo(ZONE)).date()
D = Decimal


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path / "blobs")


async def awaiting_billing_parent(db: asyncpg.Pool) -> tuple[TenantSeeder, commands.DispatchJob]:
    """A job at awaiting billing: 333.33 taxed at 8.25 % (27.50) + 100.00 untaxed = 460.83."""
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", ZONE).create()
    lines = (line("1", "333.33"), line("1", "100.00", taxable=False))
    parent = await t.job(NOW - timedelta(hours=1), steps=3, lines=lines, tax_rate="0.0825")
    return t, parent


async def schedule(api: httpx.AsyncClient, job_id: object, *percents: str, **body: Any) -> None:
    for percent in percents:
        answer = await api.post(
            f"/v1/jobs/{job_id}/subjobs",
            json={"title": f"Stage {percent} %", "share": {"percent": percent}, **body},
        )
        assert answer.status_code == 201, answer.text


async def awaiting_billing(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    page = (await api.get("/v1/jobs", params={"view": "awaiting_billing"})).json()
    return {row["id"]: row for row in page["items"]}


async def test_a_parent_scheduled_20_20_60_is_billed_by_its_subjobs_each_dollar_once(db, app):
    t, parent = await awaiting_billing_parent(db)
    job = f"/v1/jobs/{parent.job_id}"
    async with client(app, t.token) as api:
        await schedule(api, parent.job_id, "20", "20", "60")
        detail = (await api.get(job)).json()
        statement = (await api.get(f"{job}/statement")).json()
        subjobs = [(await api.get(f"/v1/jobs/{s['id']}")).json() for s in statement["stages"]]
        refused = [
            await api.get(f"{job}/invoice"),
            await api.get(f"{job}/invoice.pdf"),
            await api.post(f"{job}/invoice/sends", json={"recipient_ids": [str(uuid.uuid4())]}),
        ]
        listed = await awaiting_billing(api)

    total, tax = D(detail["money"]["total"]), D(detail["money"]["tax"])
    assert (total, tax) == (D("460.83"), D("27.50"))
    # Not invoiceable for its total: each invoice route points to the statement.
    for answer in refused:
        assert answer.status_code == 409, answer.text
        error = answer.json()["error"]
        assert error["code"] == "billed_by_subjobs"
        assert error["details"]["statement"] == f"{job}/statement"
    download = next(a for a in detail["available_actions"] if a["action"] == "download_invoice")
    assert download["allowed"] is False
    assert "statement" in download["reason"]
    # The statement and the subjobs add up to the parent, to the cent, tax parts included.
    stages = statement["stages"]
    assert [s["amount"] for s in stages] == ["92.16", "92.16", "276.51"]
    assert [s["tax"] for s in stages] == ["5.49", "5.49", "16.52"]
    assert sum(D(s["amount"]) for s in stages) == total
    assert sum(D(s["tax"]) for s in stages) == tax
    assert (statement["unscheduled"], statement["unscheduled_tax"]) == ("0.00", "0.00")
    assert statement["fully_scheduled"] is True
    assert sum(D(s["money"]["total"]) for s in subjobs) == total
    assert sum(D(s["money"]["tax"]) for s in subjobs) == tax
    assert [s["money"]["tax"] for s in subjobs] == [s["tax"] for s in stages]
    # The Awaiting billing view counts each dollar once: the parent's balance is what is
    # left unscheduled (nothing), the subjobs' are their shares.
    assert set(listed) == {str(parent.job_id), *(s["id"] for s in stages)}
    assert listed[str(parent.job_id)]["money"]["balance_due"] == "0.00"
    assert sum(D(row["money"]["balance_due"]) for row in listed.values()) == total


async def test_paying_the_first_stage_lowers_the_parents_outstanding_balance(db, app):
    t, parent = await awaiting_billing_parent(db)
    job = f"/v1/jobs/{parent.job_id}"
    async with client(app, t.token) as api:
        await schedule(api, parent.job_id, "20", "20", "60")
        first = (await api.get(f"{job}/statement")).json()["stages"][0]
        await t.send(
            commands.RecordPayment(
                t.tenant_id, NOW, uuid.UUID(first["id"]), uuid.uuid4(), D(first["amount"]), "card"
            )
        )
        statement = (await api.get(f"{job}/statement")).json()
        detail = (await api.get(job)).json()
        listed = await awaiting_billing(api)
    paid = D(first["amount"])
    assert statement["stages"][0]["paid"] == first["amount"]
    assert statement["stages"][0]["balance_due"] == "0.00"
    assert (D(statement["paid_on_subjobs"]), D(statement["paid"])) == (paid, paid)
    assert D(statement["outstanding"]) == D("460.83") - paid
    assert D(detail["staged_billing"]["outstanding"]) == D("460.83") - paid
    assert detail["staged_billing"]["statement"] == f"{job}/statement"
    # Still each dollar once: what is owed across the view is the total less the payment.
    assert sum(D(row["money"]["balance_due"]) for row in listed.values()) == D("460.83") - paid


async def test_a_partly_scheduled_parent_bills_only_its_remainder_in_the_list(db, app):
    t, parent = await awaiting_billing_parent(db)
    async with client(app, t.token) as api:
        await schedule(api, parent.job_id, "20")
        listed = await awaiting_billing(api)
        statement = (await api.get(f"/v1/jobs/{parent.job_id}/statement")).json()
    assert listed[str(parent.job_id)]["money"]["balance_due"] == "368.67"  # 460.83 - 92.16
    assert (statement["fully_scheduled"], statement["unscheduled"]) == (False, "368.67")
    assert statement["unscheduled_tax"] == "22.01"  # 27.50 - 5.49
    assert sum(D(row["money"]["balance_due"]) for row in listed.values()) == D("460.83")


async def test_a_subjob_dated_before_its_parents_work_is_refused_and_nothing_changes(db, app):
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", ZONE).create()
    work = NOW + timedelta(days=3)
    parent = await t.job(work, lines=(line("1", "500.00"),))
    work_day = work.astimezone(ZoneInfo(ZONE)).date()
    job = f"/v1/jobs/{parent.job_id}"
    async with client(app, t.token) as api:
        before = (await api.get(f"{job}/timeline")).json()
        answer = await api.post(
            f"{job}/subjobs",
            json={
                "title": "Too early",
                "share": {"percent": "50"},
                "bill_on": (work_day - timedelta(days=1)).isoformat(),
            },
        )
        schedule_after = (await api.get(f"{job}/subjobs")).json()
        after = (await api.get(f"{job}/timeline")).json()
        on_the_day = await api.post(
            f"{job}/subjobs",
            json={"title": "On time", "share": {"percent": "50"}, "bill_on": str(work_day)},
        )
    assert answer.status_code == 422
    message = answer.json()["error"]["message"]
    assert "cannot bill before its parent's work" in message
    assert str(work_day) in message
    assert schedule_after["subjobs"] == []
    assert after == before
    assert on_the_day.status_code == 201, on_the_day.text


async def test_a_subjob_dated_later_waits_out_of_awaiting_billing_until_its_date(db, app):
    t, parent = await awaiting_billing_parent(db)
    due = TODAY + timedelta(days=2)
    async with client(app, t.token) as api:
        await schedule(api, parent.job_id, "20", bill_on=str(due))
        stage = (await api.get(f"/v1/jobs/{parent.job_id}/statement")).json()["stages"][0]
        sub = f"/v1/jobs/{stage['id']}"
        listed = await awaiting_billing(api)
        everything = (await api.get("/v1/jobs", params={"q": parent.job_number})).json()
        invoice = await api.get(f"{sub}/invoice")
        detail = (await api.get(sub)).json()
        counts = (await api.get("/v1/jobs/views")).json()["views"]
    assert (stage["billable"], stage["bill_on"]) == (False, str(due))
    assert stage["id"] not in listed
    row = next(r for r in everything["items"] if r["id"] == stage["id"])
    assert (row["step"], row["due_to_bill_on"]) == ("awaiting_billing", str(due))
    assert invoice.status_code == 409
    assert invoice.json()["error"]["code"] == "not_billable_yet"
    download = next(a for a in detail["available_actions"] if a["action"] == "download_invoice")
    assert download["reason"] == f"the subjob is due to bill on {due}; not billable before"
    assert detail["due_to_bill_on"] == str(due)
    count = next(v["count"] for v in counts if v["view"] == "awaiting_billing")
    assert count == len(listed) == 1  # the parent alone


async def test_canceling_a_parent_cancels_its_stages_not_billed_yet(db, app):
    t, parent = await awaiting_billing_parent(db)
    async with client(app, t.token) as api:
        await schedule(api, parent.job_id, "20", "30")
        stages = (await api.get(f"/v1/jobs/{parent.job_id}/statement")).json()["stages"]
        billed, unbilled = stages[0]["id"], stages[1]["id"]
        assert (await api.post(f"/v1/jobs/{billed}/invoice")).status_code == 201
        await t.send(commands.CancelJob(t.tenant_id, NOW, parent.job_id, "customer moved"))
        steps = {s: (await api.get(f"/v1/jobs/{s}")).json()["step"] for s in (billed, unbilled)}
        balances = {row["id"]: row["money"]["balance_due"] for row in await all_jobs(api)}
    assert steps == {billed: "awaiting_payment", unbilled: "canceled"}
    assert balances[unbilled] == "0.00"  # canceled before it billed: it owes nothing
    assert balances[billed] != "0.00"  # its invoice was issued: that balance stands


async def all_jobs(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await api.get("/v1/jobs", params={"view": "all", "limit": 200})).json()["items"])
