"""Operator actions over HTTP on real PostgreSQL: defer, subjobs, recall links,
commissions, roles and Idempotency-Key."""

import asyncio
import dataclasses
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from jobline_jobs.adapters.idempotency import IdempotencyKeys
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain import commands
from jobline_jobs.domain.errors import Conflict
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.api import TenantSeeder, api_app, client
from jobs_testing.builders import line

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
# Subjobs bill on the day their parent (scheduled NOW) is worked, in the tenant's zone:
# billable at once.
BILL_ON = NOW.astimezone(ZoneInfo("America/Chicago")).date().isoformat()


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path)


async def seeded(db: asyncpg.Pool) -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "America/Chicago").create()


async def view(api, name: str) -> list[str]:
    return [r["id"] for r in (await api.get("/v1/jobs", params={"view": name})).json()["items"]]


async def test_defer_and_undefer_move_the_job_between_views(db, app):
    t = await seeded(db)
    job = await t.job(NOW - timedelta(days=1), steps=1)
    async with client(app, t.token) as api:
        answer = await api.post(f"/v1/jobs/{job.job_id}/defer", json={"reason": "dispute"})
        assert answer.status_code == 200
        assert answer.json()["deferral"]["reason"] == "dispute"
        assert answer.json()["step"] == "in_progress"  # keeps its real step
        assert await view(api, "in_progress") == []
        assert await view(api, "deferred") == [str(job.job_id)]
        again = await api.post(f"/v1/jobs/{job.job_id}/defer", json={"reason": "x"})
        assert again.status_code == 409
        assert (await api.post(f"/v1/jobs/{job.job_id}/undefer")).status_code == 200
        assert await view(api, "in_progress") == [str(job.job_id)]
        assert (await api.post(f"/v1/jobs/{job.job_id}/undefer")).status_code == 409
        missing = await api.post(f"/v1/jobs/{job.job_id}/defer", json={})
    assert missing.status_code == 422
    assert "reason: Field required" in missing.json()["error"]["message"]


async def test_a_viewer_token_cannot_act(db, app):
    t = await seeded(db)
    job = await t.job(NOW)
    async with db.acquire() as conn:
        viewer = await issue_token(conn, t.tenant_id, "viewer")
    async with client(app, viewer) as api:
        answer = await api.post(f"/v1/jobs/{job.job_id}/defer", json={"reason": "x"})
        assert answer.status_code == 403
        assert (await api.get(f"/v1/jobs/{job.job_id}")).status_code == 200


async def test_twenty_twenty_sixty_subjobs_bill_the_parent_exactly(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, lines=(line("1", "1000.01"),))
    async with client(app, t.token) as api:
        for percent in ("20", "20", "60"):
            answer = await api.post(
                f"/v1/jobs/{parent.job_id}/subjobs",
                json={
                    "title": f"Stage {percent}%",
                    "share": {"percent": percent},
                    "bill_on": BILL_ON,
                },
            )
            assert answer.status_code == 201, answer.text
        schedule = (await api.get(f"/v1/jobs/{parent.job_id}/subjobs")).json()
        over = await api.post(
            f"/v1/jobs/{parent.job_id}/subjobs",
            json={"title": "More", "share": {"amount": "0.01"}, "bill_on": BILL_ON},
        )
        sub = schedule["subjobs"][0]["id"]
        nested = await api.post(
            f"/v1/jobs/{sub}/subjobs",
            json={"title": "Nested", "share": {"percent": "10"}, "bill_on": BILL_ON},
        )
        listed = await view(api, "awaiting_billing")
        detail = (await api.get(f"/v1/jobs/{parent.job_id}")).json()
    assert [s["amount"] for s in schedule["subjobs"]] == ["200.00", "200.00", "600.01"]
    assert [s["number"] for s in schedule["subjobs"]] == [
        f"{parent.job_number}-1",
        f"{parent.job_number}-2",
        f"{parent.job_number}-3",
    ]
    assert (schedule["total"], schedule["scheduled"], schedule["unscheduled"]) == (
        "1000.01",
        "1000.01",
        "0.00",
    )
    assert (schedule["billed"], schedule["unbilled"]) == ("0.00", "1000.01")
    assert over.status_code == 422
    assert "exceeds what remains (0.00)" in over.json()["error"]["message"]
    assert nested.status_code == 422
    assert set(listed) == {s["id"] for s in schedule["subjobs"]}  # subjobs are jobs
    subjob_action = next(a for a in detail["available_actions"] if a["action"] == "create_subjob")
    assert subjob_action["reason"] == "100 % of the job is scheduled in subjobs already"


async def test_parallel_subjob_requests_cannot_overshoot(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, lines=(line("1", "999.99"),))
    async with client(app, t.token) as api:
        answers = await asyncio.gather(
            *(
                api.post(
                    f"/v1/jobs/{parent.job_id}/subjobs",
                    json={
                        "title": f"Part {i}",
                        "share": {"percent": "30"},
                        "bill_on": BILL_ON,
                    },
                )
                for i in range(6)
            )
        )
        schedule = (await api.get(f"/v1/jobs/{parent.job_id}/subjobs")).json()
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 422, 422, 422]
    assert Decimal(schedule["scheduled"]) == Decimal("899.97")  # 3 x 299.99, never over


async def test_recall_link_records_the_chargeback_per_policy_with_its_cap(db, app):
    t = await seeded(db)
    await db.execute(
        "UPDATE jobs.tenants SET chargeback_percent = 0.5 WHERE tenant_id = $1", t.tenant_id
    )
    original = await t.job(NOW - timedelta(days=10), lines=(line("1", "400.00"),))
    big = await t.job(NOW - timedelta(days=9), lines=(line("1", "4000.00"),))
    for job in (original, big):  # the rate in force when the work is completed
        await t.technician(job.technician_id, "0.10", {})
        await t.send(commands.StartJob(t.tenant_id, NOW, job.job_id))
        await t.send(commands.CompleteWork(t.tenant_id, NOW, job.job_id, NOW - timedelta(days=9)))
    recall = await t.job(NOW, lines=(line("2", "50.00"),))
    recall_2 = await t.job(NOW, lines=(line("2", "50.00"),))
    await t.technician(recall.technician_id, "0.10", {"W": "300.00"})
    await db.execute(
        "UPDATE jobs.line_items SET code = 'W' WHERE job_id = ANY($1::uuid[])",
        [recall.job_id, recall_2.job_id],
    )
    async with client(app, t.token) as api:
        preview = await api.post(
            f"/v1/jobs/{recall.job_id}/recall-link/preview",
            json={"original_job_id": str(original.job_id)},
        )
        after_preview = await api.get(f"/v1/jobs/{recall.job_id}")
        capped = await api.post(
            f"/v1/jobs/{recall.job_id}/recall-link",
            json={"original_job_id": str(original.job_id), "reason": "leak"},
        )
        uncapped = await api.post(
            f"/v1/jobs/{recall_2.job_id}/recall-link",
            json={"original_job_id": str(big.job_id), "reason": "leak"},
        )
        start, end = (NOW - timedelta(days=30)).isoformat(), (NOW + timedelta(days=1)).isoformat()
        book = (
            await api.get(
                f"/v1/technicians/{original.technician_id}/commissions",
                params={"from": start, "to": end},
            )
        ).json()
    # the preview shows what linking then records, and records nothing itself
    assert preview.status_code == 200, preview.text
    assert {k: preview.json()["chargeback"][k] for k in ("normal_charge", "amount")} == {
        "normal_charge": "600.00",
        "amount": "40.00",
    }
    assert after_preview.json()["recall_of"] is None
    # recall work at the fixer's card: 2 x 300.00 = 600.00; policy 50 % = 300.00
    assert capped.status_code == 201, capped.text
    assert capped.json()["chargeback"]["amount"] == "40.00"  # capped: 10 % of 400.00 earned
    assert capped.json()["chargeback"]["technician_id"] == str(original.technician_id)
    # the second recall's technician has no card entry for W: 2 x 50.00 at 50 % = 50.00
    assert uncapped.json()["chargeback"]["amount"] == "50.00"
    assert [e["kind"] for e in book["entries"]] == ["earned", "charged_back"]
    assert book["totals"] == {
        "earned": "40.00",
        "held": "0.00",
        "released": "0.00",
        "adjusted": "0.00",
        "charged_back": "-40.00",
        "reversed": "0.00",
        "net": "0.00",
    }


async def test_each_recall_refusal_over_http(db, app):
    t, other = await seeded(db), await seeded(db)
    original = await t.job(NOW - timedelta(days=3), steps=2)
    unfinished = await t.job(NOW)
    recall = await t.job(NOW)
    foreign = await other.job(NOW - timedelta(days=3), steps=2)

    async def link(job, to):
        return await api.post(
            f"/v1/jobs/{job.job_id}/recall-link",
            json={"original_job_id": str(to.job_id), "reason": "again"},
        )

    async with client(app, t.token) as api:
        assert (await link(recall, recall)).status_code == 422
        assert (await link(recall, unfinished)).status_code == 409
        assert (await link(recall, foreign)).status_code == 404
        assert (await link(recall, original)).status_code == 201
        assert (await link(recall, original)).status_code == 409  # one original per recall
        cycle = await link(original, recall)
    assert cycle.status_code in {409, 422}
    assert cycle.json()["error"]["code"] in {"invalid", "impossible_transition"}


async def test_idempotency_key_replays_the_first_answer_and_refuses_a_different_body(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, lines=(line("1", "100.00"),))
    body = {"title": "Deposit", "share": {"percent": "10"}, "bill_on": BILL_ON}
    headers = {"Idempotency-Key": "deposit-1"}
    path = f"/v1/jobs/{parent.job_id}/subjobs"
    async with client(app, t.token) as api:
        first = await api.post(path, json=body, headers=headers)
        again = await api.post(path, json=body, headers=headers)
        other = await api.post(path, json={**body, "title": "Other"}, headers=headers)
        schedule = (await api.get(path)).json()
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(schedule["subjobs"]) == 1


def _key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key, "Content-Type": "application/json"}


def left_behind(path: str, raw: bytes) -> bytes:
    """The request hash ``idempotent`` stores for a POST of ``raw`` to ``path``."""
    return hashlib.sha256(b"POST " + path.encode() + b"\n" + raw).digest()


async def test_a_key_whose_request_died_before_its_effect_is_taken_over(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, lines=(line("1", "100.00"),))
    path = f"/v1/jobs/{parent.job_id}/subjobs"
    raw = json.dumps({"title": "Deposit", "share": {"percent": "10"}, "bill_on": BILL_ON})
    headers = _key("deposit-2")
    # What a request leaves when its process dies after claiming the key, before any effect.
    await db.execute(
        """INSERT INTO jobs.idempotency_keys (tenant_id, key, request_hash, claim_id, claimed_at)
           VALUES ($1, 'deposit-2', $2, $3, now() - interval '5 minutes')""",
        t.tenant_id,
        left_behind(path, raw.encode()),
        uuid.uuid4(),
    )
    async with client(app, t.token) as api:
        retry = await api.post(path, content=raw, headers=headers)
        again = await api.post(path, content=raw, headers=headers)
        schedule = (await api.get(path)).json()
    assert retry.status_code == 201
    assert again.json() == retry.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(schedule["subjobs"]) == 1


async def test_a_recent_claim_is_in_progress_and_an_applied_one_is_never_run_again(db, app):
    t = await seeded(db)
    parent = await t.job(NOW, lines=(line("1", "100.00"),))
    path = f"/v1/jobs/{parent.job_id}/subjobs"
    raw = json.dumps({"title": "Deposit", "share": {"percent": "10"}, "bill_on": BILL_ON})
    left = """INSERT INTO jobs.idempotency_keys
                  (tenant_id, key, request_hash, claim_id, claimed_at, applied_at)
              VALUES ($1, $2, $3, $4, now() - $5 * interval '1 second', $6)"""
    request_hash = left_behind(path, raw.encode())
    # Still being handled: claimed a second ago.
    await db.execute(left, t.tenant_id, "busy", request_hash, uuid.uuid4(), 1, None)
    # Took effect, then its process died before the answer was kept.
    await db.execute(left, t.tenant_id, "applied", request_hash, uuid.uuid4(), 300, NOW)
    async with client(app, t.token) as api:
        busy = await api.post(path, content=raw, headers=_key("busy"))
        applied = await api.post(path, content=raw, headers=_key("applied"))
        schedule = (await api.get(path)).json()
    assert busy.json()["error"]["code"] == "idempotency_key_in_progress"
    assert (applied.status_code, applied.json()["error"]["code"]) == (
        409,
        "idempotency_key_applied",
    )
    assert schedule["subjobs"] == []


async def test_a_slow_request_whose_key_was_taken_over_changes_nothing(db):
    t = await seeded(db)
    job = await t.job(NOW)
    keys = IdempotencyKeys(db)
    slow = await keys.claim(t.tenant_id, "defer-1", b"hash")
    assert slow.held is not None
    # A retry took the key over while the slow request was still working.
    await db.execute(
        "UPDATE jobs.idempotency_keys SET claim_id = $2 WHERE key = 'defer-1' AND tenant_id = $1",
        t.tenant_id,
        uuid.uuid4(),
    )
    bus = MessageBus(lambda why: PostgresUnitOfWork(db, why))
    defer = commands.DeferJob(t.tenant_id, NOW, job.job_id, "parts", "operator:test")
    why = Causation("api", uuid.uuid4(), "api.DeferJob", uuid.uuid4(), NOW, "operator:test")

    with pytest.raises(Conflict):
        await bus.execute(defer, dataclasses.replace(why, key_claim=slow.held))
    deferred_at = await db.fetchval(
        "SELECT deferred_at FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
        t.tenant_id,
        job.job_id,
    )
    assert deferred_at is None
