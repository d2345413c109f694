"""The commission ledger on real PostgreSQL: entries appended when their fact happens,
read back only from the ledger (a technician's entries, the payroll statement)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import asyncpg
import pytest

from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain import commands as c
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation, SourceMessage
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.builders import dispatch_job, line

pytestmark = pytest.mark.integration

MARCH = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path)


async def seeded(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()


async def technician(t: TenantSeeder, rate: str, name: str = "Tech") -> UUID:
    tech = uuid.uuid4()
    await t.send(c.UpsertTechnician(t.tenant_id, NOW, tech, name, None, Decimal(rate), (), "USD"))
    return tech


async def completed_job(
    t: TenantSeeder,
    main: UUID,
    at: datetime,
    *,
    total: str = "100.00",
    visits: tuple[UUID, ...] = (),
) -> c.DispatchJob:
    """A job of ``main`` whose first visit (main's) and ``visits`` were completed, and
    whose work was completed at ``at``."""
    t.numbers += 1
    base = dispatch_job(t.tenant_id, lines=(line("1", total),))
    first = c.Visit(uuid.uuid4(), main, at, at + timedelta(hours=1))
    job = c.DispatchJob(
        **{
            **base.__dict__,
            "job_number": f"J-{t.numbers:05d}",
            "technician_id": main,
            "first_visit": first,
            "occurred_at": at,
        }
    )
    tid, jid = t.tenant_id, job.job_id
    await t.send(job)
    extra = [c.Visit(uuid.uuid4(), tech, at, at + timedelta(hours=1)) for tech in visits]
    for visit in extra:
        await t.send(c.AssignDispatch(tid, at, jid, visit))
    await t.send(c.StartJob(tid, at, jid))
    for visit in (first, *extra):
        await t.send(c.ChangeDispatchStatus(tid, at, jid, visit.dispatch_id, "completed"))
    await t.send(c.CompleteWork(tid, at, jid, at))
    return job


def period(start: datetime, end: datetime) -> dict[str, str]:
    return {"from": start.isoformat(), "to": end.isoformat()}


async def statement(api, start: datetime, end: datetime) -> dict[str, dict[str, str]]:
    answer = await api.get("/v1/commissions", params=period(start, end))
    assert answer.status_code == 200, answer.text
    return {line["technician_id"]: line for line in answer.json()["technicians"]}


async def test_a_rate_change_after_completion_leaves_earned_entries_unchanged(db, app):
    t = await seeded(db)
    tech = await technician(t, "0.10")
    await completed_job(t, tech, MARCH)
    await t.send(
        c.UpsertTechnician(t.tenant_id, NOW, tech, "Tech", None, Decimal("0.5"), (), "USD")
    )
    async with client(app, t.token) as api:
        book = await api.get(
            f"/v1/technicians/{tech}/commissions", params=period(MARCH, MARCH + timedelta(days=1))
        )
    assert book.status_code == 200, book.text
    [entry] = book.json()["entries"]
    assert (entry["kind"], entry["amount"], entry["rate"], entry["basis"]) == (
        "earned",
        "10.00",
        "0.1000",
        "100.00",
    )
    assert book.json()["totals"]["net"] == "10.00"


async def test_deferred_in_march_released_in_may_is_paid_in_may(db, app):
    t = await seeded(db)
    tech = await technician(t, "0.10")
    job = await completed_job(t, tech, MARCH)
    may = datetime(2026, 5, 5, 12, 0, tzinfo=UTC)
    await t.send(c.DeferJob(t.tenant_id, MARCH + timedelta(days=10), job.job_id, "dispute", "op"))
    await t.send(c.UndeferJob(t.tenant_id, may, job.job_id, "op"))
    months = [datetime(2026, m, 1, tzinfo=UTC) for m in (3, 4, 5, 6)]
    async with client(app, t.token) as api:
        march = await statement(api, months[0], months[1])
        april = await statement(api, months[1], months[2])
        in_may = await statement(api, months[2], months[3])
        as_csv = await api.get(
            "/v1/commissions",
            params={**period(months[2], months[3])},
            headers={"Accept": "text/csv"},
        )
        by_format = await api.get(
            "/v1/commissions", params={**period(months[2], months[3]), "format": "csv"}
        )
    key = str(tech)
    assert {k: march[key][k] for k in ("earned", "held", "released", "net")} == {
        "earned": "10.00",
        "held": "-10.00",
        "released": "0.00",
        "net": "0.00",
    }
    assert april == {}
    assert {k: in_may[key][k] for k in ("earned", "released", "net")} == {
        "earned": "0.00",
        "released": "10.00",
        "net": "10.00",
    }
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = [r.split(",") for r in as_csv.text.strip().splitlines()]
    assert rows[0] == [
        "technician_id",
        "technician_name",
        "earned",
        "held",
        "released",
        "adjusted",
        "charged_back",
        "reversed",
        "net",
        "entries",
    ]
    assert rows[1] == [key, "Tech", "0.00", "0.00", "10.00", "0.00", "0.00", "0.00", "10.00", "1"]
    assert rows[2][0] == "total"
    assert by_format.text == as_csv.text


async def test_a_job_deferred_before_completion_is_held_from_completion(db, app):
    t = await seeded(db)
    tech = await technician(t, "0.10")
    start = MARCH - timedelta(days=1)
    job = dispatch_job(t.tenant_id)
    job = c.DispatchJob(
        **{
            **job.__dict__,
            "technician_id": tech,
            "occurred_at": start,
            "first_visit": c.Visit(uuid.uuid4(), tech, start, start),
        }
    )
    await t.send(job)
    await t.send(c.DeferJob(t.tenant_id, start, job.job_id, "dispute", "op"))
    await t.send(c.StartJob(t.tenant_id, start, job.job_id))
    await t.send(c.CompleteWork(t.tenant_id, MARCH, job.job_id, MARCH))
    await t.send(c.UndeferJob(t.tenant_id, MARCH + timedelta(days=40), job.job_id, "op"))
    async with client(app, t.token) as api:
        march = await statement(
            api, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
        )
        april = await statement(
            api, datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
        )
    assert (march[str(tech)]["earned"], march[str(tech)]["held"]) == ("10.00", "-10.00")
    assert (april[str(tech)]["released"], april[str(tech)]["net"]) == ("10.00", "10.00")


@pytest.mark.parametrize(
    ("rule", "first", "second"),
    [
        ("visits_completed", "20.00", "20.00"),  # 200.00 x 10 %, 100.00 x 20 %
        ("equal", "15.00", "30.00"),  # 150.00 each
        ("main_technician", "30.00", None),  # 300.00 x 10 % to the main technician
    ],
)
async def test_two_technicians_with_completed_visits_split_by_the_tenant_rule(
    db, app, rule, first, second
):
    t = await seeded(db)
    await db.execute(
        "UPDATE jobs.tenants SET commission_split_rule = $2 WHERE tenant_id = $1",
        t.tenant_id,
        rule,
    )
    main, helper = await technician(t, "0.10"), await technician(t, "0.20")
    await completed_job(t, main, MARCH, total="300.00", visits=(main, helper))
    async with client(app, t.token) as api:
        paid = await statement(api, MARCH, MARCH + timedelta(days=1))
    assert paid[str(main)]["earned"] == first
    assert paid.get(str(helper), {}).get("earned") == second


async def test_adjusting_after_completion_uses_the_rate_earned_at(db, app):
    t = await seeded(db)
    tech = await technician(t, "0.10")
    job = await completed_job(t, tech, MARCH)
    await t.send(
        c.UpsertTechnician(t.tenant_id, NOW, tech, "Tech", None, Decimal("0.5"), (), "USD")
    )
    later = MARCH + timedelta(days=2)
    adjust = c.AdjustCommission(
        t.tenant_id,
        later,
        job.job_id,
        Decimal("100.00"),
        Decimal("150.00"),
        later,
        "job.lines_changed",
    )
    await t.send(adjust)
    async with client(app, t.token) as api:
        book = (
            await api.get(
                f"/v1/technicians/{tech}/commissions",
                params=period(MARCH, MARCH + timedelta(days=5)),
            )
        ).json()
    assert [(e["kind"], e["amount"], e["cause"]) for e in book["entries"]] == [
        ("earned", "10.00", "job.work_completed"),
        ("adjusted", "5.00", "job.lines_changed"),  # 150.00 x 10 % - 10.00
    ]
    assert book["totals"]["net"] == "15.00"


async def test_adjusting_before_completion_records_nothing(db):
    t = await seeded(db)
    tech = await technician(t, "0.10")
    job = dispatch_job(t.tenant_id)
    job = c.DispatchJob(**{**job.__dict__, "technician_id": tech})
    await t.send(job)
    await t.send(
        c.AdjustCommission(t.tenant_id, NOW, job.job_id, Decimal(100), Decimal(150), NOW, "x")
    )
    count = await db.fetchval(
        "SELECT count(*) FROM jobs.commission_entries WHERE tenant_id = $1", t.tenant_id
    )
    assert count == 0


async def test_a_recall_unlink_reverses_its_chargeback(db, app):
    t = await seeded(db)
    original_tech = await technician(t, "0.10")
    original = await completed_job(t, original_tech, NOW - timedelta(days=3), total="400.00")
    recall = await t.job(NOW, lines=(line("1", "30.00"),))
    never_linked = await t.job(NOW)
    async with db.acquire() as conn:
        viewer = await issue_token(conn, t.tenant_id, "viewer")
    recall_url = f"/v1/jobs/{recall.job_id}/recall-link"
    async with client(app, t.token) as api:
        linked = await api.post(
            recall_url, json={"original_job_id": str(original.job_id), "reason": "leak"}
        )
        missing_reason = await api.post(f"{recall_url}/unlink", json={})
        async with client(app, viewer) as as_viewer:
            forbidden = await as_viewer.post(f"{recall_url}/unlink", json={"reason": "x"})
        unlinked = await api.post(f"{recall_url}/unlink", json={"reason": "not his work"})
        again = await api.post(f"{recall_url}/unlink", json={"reason": "twice"})
        never = await api.post(
            f"/v1/jobs/{never_linked.job_id}/recall-link/unlink", json={"reason": "x"}
        )
        unknown = await api.post(
            f"/v1/jobs/{uuid.uuid4()}/recall-link/unlink", json={"reason": "x"}
        )
        book = (
            await api.get(
                f"/v1/technicians/{original_tech}/commissions",
                params=period(NOW - timedelta(days=5), NOW + timedelta(days=1)),
            )
        ).json()
        relinked = await api.post(
            recall_url, json={"original_job_id": str(original.job_id), "reason": "it was"}
        )
        timeline = (await api.get(f"/v1/jobs/{recall.job_id}/timeline")).json()["items"]
    assert linked.status_code == 201, linked.text
    assert linked.json()["chargeback"]["amount"] == "30.00"
    assert missing_reason.status_code == 422
    assert forbidden.status_code == 403
    assert unlinked.status_code == 200, unlinked.text
    assert unlinked.json()["recall_of"] is None
    assert again.status_code == 409
    assert "not linked to an original job" in again.json()["error"]["message"]
    assert never.status_code == 409
    assert unknown.status_code == 404
    assert [(e["kind"], e["amount"]) for e in book["entries"]] == [
        ("earned", "40.00"),
        ("charged_back", "-30.00"),
        ("reversed", "30.00"),
    ]
    reversal = book["entries"][2]
    assert (reversal["cause"], reversal["reason"]) == ("recall.unlinked", "not his work")
    assert reversal["chargeback_id"] == linked.json()["chargeback"]["id"]
    assert book["totals"]["net"] == "40.00"
    assert relinked.status_code == 201, relinked.text  # a removed link can be made again
    assert "job.recall_unlinked" in [e["type"] for e in timeline]


def _fact(t: TenantSeeder, cmd: c.Command) -> Causation:
    message = uuid.uuid4()
    source = SourceMessage("dispatch.events.v1", 0, 7, b"key", b"{}")
    return Causation(
        "jobs.dispatch-facts",
        message,
        "job.technician_reassigned",
        message,
        cmd.occurred_at,
        "upstream",
        source,
    )


async def test_reassigning_changes_the_main_technician_and_refuses_an_unknown_one(db, app):
    t = await seeded(db)
    first, second = await technician(t, "0.10"), await technician(t, "0.10")
    job = dispatch_job(t.tenant_id)
    job = c.DispatchJob(**{**job.__dict__, "technician_id": first})
    await t.send(job)
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    reassign = c.ReassignTechnician(t.tenant_id, NOW, job.job_id, second, "off sick")
    unknown = c.ReassignTechnician(t.tenant_id, NOW, job.job_id, uuid.uuid4(), None)
    assert await bus.handle(reassign, _fact(t, reassign)) is Outcome.APPLIED
    assert await bus.handle(unknown, _fact(t, unknown)) is Outcome.REJECTED
    async with client(app, t.token) as api:
        detail = (await api.get(f"/v1/jobs/{job.job_id}")).json()
        timeline = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
    assert detail["technician"]["id"] == str(second)
    moved = next(e for e in timeline if e["type"] == "job.technician_reassigned")
    assert moved["details"]["previous_technician_id"] == str(first)
    refused = next(e for e in timeline if e["kind"] == "rejected")
    assert refused["type"] == "unknown_technician"
    assert "reassigned only to a known technician" in refused["details"]["reason"]
    dead = await db.fetchrow(
        "SELECT headers FROM jobs.outbox WHERE topic = 'dispatch.events.v1.dlq'"
        " ORDER BY outbox_id DESC LIMIT 1"
    )
    assert "unknown_technician" in dead["headers"]
