"""The Jobs list API over real PostgreSQL: views, counts, search, filters, cursors,
tenant isolation and validation."""

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration

STEP_VIEWS = [
    "open_dispatch",
    "in_progress",
    "awaiting_quality_check",
    "awaiting_billing",
    "awaiting_payment",
]


async def seeded(db: asyncpg.Pool, zone: str = "America/Denver") -> TenantSeeder:
    return await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", zone).create()


def local(zone: str, days: int, hour: int, minute: int = 0) -> datetime:
    tz = ZoneInfo(zone)
    day = datetime.now(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tz)


async def ids(api, **params) -> list[str]:
    answer = await api.get("/v1/jobs", params={"limit": 200, **params})
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()["items"]]


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path)


async def test_each_view_lists_exactly_its_jobs_and_counts_them(db, app):
    t = await seeded(db)
    past = local(t.time_zone, -3, 9)
    by_step = {view: await t.job(past, steps) for steps, view in enumerate(STEP_VIEWS)}
    done_today = await t.job(local(t.time_zone, 0, 10), steps=2)
    deferred = await t.job(past, steps=1)
    await t.defer(deferred.job_id)

    async with client(app, t.token) as api:
        for view, job in by_step.items():
            if view != "awaiting_quality_check":  # shared with the job done today
                assert await ids(api, view=view) == [str(job.job_id)], view
        assert await ids(api, view="awaiting_quality_check") == [
            str(by_step["awaiting_quality_check"].job_id),
            str(done_today.job_id),
        ]
        assert await ids(api, view="completed_scheduled_today") == [str(done_today.job_id)]
        assert await ids(api, view="deferred") == [str(deferred.job_id)]
        assert len(await ids(api, view="all")) == 7
        counts = {v["view"]: v["count"] for v in (await api.get("/v1/jobs/views")).json()["views"]}
    assert counts == {
        "all": 7,
        "completed_scheduled_today": 1,
        "open_dispatch": 1,
        "in_progress": 1,
        "awaiting_quality_check": 2,
        "awaiting_billing": 1,
        "awaiting_payment": 1,
        "deferred": 1,
        "paid": 0,
        "canceled": 0,
    }


async def test_a_deferred_job_leaves_its_step_view_and_comes_back(db, app):
    t = await seeded(db)
    job = await t.job(local(t.time_zone, -1, 9), steps=1)
    async with client(app, t.token) as api:
        assert await ids(api, view="in_progress") == [str(job.job_id)]
        await t.defer(job.job_id)
        assert await ids(api, view="in_progress") == []
        assert await ids(api, view="deferred") == [str(job.job_id)]
        await db.execute("UPDATE jobs.jobs SET deferred_at = NULL WHERE job_id = $1", job.job_id)
        assert await ids(api, view="in_progress") == [str(job.job_id)]
        counts = {v["view"]: v["count"] for v in (await api.get("/v1/jobs/views")).json()["views"]}
    assert (counts["in_progress"], counts["deferred"]) == (1, 0)


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
async def test_today_is_the_tenants_today_at_the_edges_of_the_day(db, app, zone):
    t = await seeded(db, zone)
    late_today = await t.job(local(zone, 0, 23, 30), steps=2)
    late_yesterday = await t.job(local(zone, -1, 23, 30), steps=2)
    early_tomorrow = await t.job(local(zone, 1, 0, 30), steps=2)
    early_today = await t.job(local(zone, 0, 0, 0), steps=2)
    async with client(app, t.token) as api:
        today = await ids(api, view="completed_scheduled_today")
    assert today == [str(early_today.job_id), str(late_today.job_id)]
    assert str(late_yesterday.job_id) not in today
    assert str(early_tomorrow.job_id) not in today


async def test_pages_stay_stable_while_jobs_are_inserted(db, app):
    t = await seeded(db)
    base = local(t.time_zone, 1, 8)
    original = [str((await t.job(base + timedelta(minutes=i))).job_id) for i in range(25)]
    seen: list[str] = []
    async with client(app, t.token) as api:
        page = (await api.get("/v1/jobs", params={"limit": 10})).json()
        seen += [r["id"] for r in page["items"]]
        # New jobs land before the cursor, at it, and after it.
        for minutes in (-5, 9, 9.5, 30):
            await t.job(base + timedelta(minutes=minutes))
        while page["next_cursor"]:
            page = (
                await api.get("/v1/jobs", params={"limit": 10, "cursor": page["next_cursor"]})
            ).json()
            seen += [r["id"] for r in page["items"]]
    assert len(seen) == len(set(seen)), "no row twice"
    assert [i for i in seen if i in original] == original, "every original row, in order"


async def test_free_text_and_filters_narrow_the_list(db, app):
    t = await seeded(db)
    at = local(t.time_zone, 0, 9)
    first, second = await t.job(at), await t.job(at + timedelta(hours=1))
    await db.execute(
        "UPDATE jobs.customers SET name = 'Priya Okafor' WHERE tenant_id = $1 AND customer_id = $2",
        t.tenant_id,
        first.customer_id,
    )
    await db.execute(
        "UPDATE jobs.properties SET address_text = '7 Harbour Road, Newtown'"
        " WHERE tenant_id = $1 AND property_id = $2",
        t.tenant_id,
        second.property_id,
    )
    await db.execute(
        "UPDATE jobs.jobs SET search_text = jobs.search_text_of(tenant_id,"
        " job_number, customer_id, property_id) WHERE tenant_id = $1",
        t.tenant_id,
    )
    async with client(app, t.token) as api:
        assert await ids(api, q="okafor") == [str(first.job_id)]
        assert await ids(api, q="HARBOUR rd") == []
        assert await ids(api, q="harbour road") == [str(second.job_id)]
        assert await ids(api, q=second.job_number) == [str(second.job_id)]
        assert await ids(api, q="100%") == []
        assert await ids(api, customer_id=str(first.customer_id)) == [str(first.job_id)]
        assert await ids(api, property_id=str(second.property_id)) == [str(second.job_id)]
        assert await ids(api, technician_id=str(first.technician_id)) == [str(first.job_id)]


async def test_another_tenants_jobs_are_invisible_on_every_route(db, app):
    mine, theirs = await seeded(db), await seeded(db)
    job = await theirs.job(local(theirs.time_zone, 0, 9))
    async with client(app, mine.token) as api:
        for path in ("", "/dispatches", "/timeline"):
            answer = await api.get(f"/v1/jobs/{job.job_id}{path}")
            assert answer.status_code == 404, path
            assert answer.json()["error"]["code"] == "not_found"
        assert await ids(api) == []
        assert await ids(api, customer_id=str(job.customer_id)) == []
        counts = (await api.get("/v1/jobs/views")).json()["views"]
        assert all(v["count"] == 0 for v in counts)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/jobs",
        "/v1/jobs/views",
        f"/v1/jobs/{uuid.uuid4()}",
        f"/v1/jobs/{uuid.uuid4()}/dispatches",
        f"/v1/jobs/{uuid.uuid4()}/timeline",
    ],
)
@pytest.mark.parametrize("token", [None, "jl_not-a-real-token", "Basic abc"])
async def test_no_or_bad_token_is_401_on_every_route(app, path, token):
    async with client(app, token) as api:
        answer = await api.get(path)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"view": "bogus"}, "view: Input should be 'all'"),
        ({"limit": 0}, "limit: Input should be greater than or equal to 1"),
        ({"limit": 201}, "limit: Input should be less than or equal to 200"),
        ({"cursor": "%%%garbage"}, "cursor is not one this API issued"),
        ({"customer_id": "nope"}, "customer_id: Input should be a valid UUID"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
async def test_invalid_list_requests_are_422_and_say_what_is_wrong(db, app, params, says):
    t = await seeded(db)
    async with client(app, t.token) as api:
        answer = await api.get("/v1/jobs", params=params)
    assert answer.status_code == 422
    assert says in answer.json()["error"]["message"]


async def test_a_cursor_only_works_for_the_list_it_came_from(db, app):
    t = await seeded(db)
    for i in range(3):
        await t.job(local(t.time_zone, 0, 9 + i))
    async with client(app, t.token) as api:
        page = (await api.get("/v1/jobs", params={"limit": 1})).json()
        answer = await api.get(
            "/v1/jobs", params={"limit": 1, "view": "open_dispatch", "cursor": page["next_cursor"]}
        )
    assert answer.status_code == 422
    assert "other view or filters" in answer.json()["error"]["message"]


async def test_a_job_shows_its_parties_visits_money_and_allowed_actions(db, app):
    t = await seeded(db)
    job = await t.job(local(t.time_zone, -2, 9), steps=3)
    async with client(app, t.token) as api:
        detail = (await api.get(f"/v1/jobs/{job.job_id}")).json()
        visits = (await api.get(f"/v1/jobs/{job.job_id}/dispatches")).json()["items"]
        timeline = (await api.get(f"/v1/jobs/{job.job_id}/timeline")).json()["items"]
    assert detail["step"] == "awaiting_billing"
    assert detail["money"] == {
        "currency": "USD",
        "subtotal": "100.00",
        "tax": "0.00",
        "total": "100.00",
        "amount_paid": "0.00",
        "balance_due": "100.00",
    }
    assert [v["id"] for v in visits] == [str(job.first_visit.dispatch_id)]
    assert visits[0]["history"][0]["status"] == "scheduled"
    actions = {a["action"]: a for a in detail["available_actions"]}
    assert list(actions) == [
        "download_invoice",
        "resend_invoice",
        "defer_commission",
        "view_invoice_dispatches",
        "send_communication",
        "create_subjob",
        "link_recall",
        "issue_invoice",
    ]
    assert actions["issue_invoice"]["allowed"] is True
    assert actions["download_invoice"] == {
        "action": "download_invoice",
        "allowed": False,
        "reason": "the invoice is not issued yet; issue it first",
    }
    assert actions["resend_invoice"]["allowed"] is False
    assert [e["type"] for e in timeline][:2] == ["job.created", "job.dispatch_assigned"]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)


async def test_the_openapi_document_lists_every_route_with_its_errors(app):
    async with client(app, None) as api:
        spec = (await api.get("/openapi.json")).json()
    routes = {
        "/v1/jobs": ["401", "422"],
        "/v1/jobs/views": ["401"],
        "/v1/jobs/{job_id}": ["401", "404", "422"],
        "/v1/jobs/{job_id}/dispatches": ["401", "404", "422"],
        "/v1/jobs/{job_id}/timeline": ["401", "404", "422"],
    }
    for path, errors in routes.items():
        answers = spec["paths"][path]["get"]["responses"]
        for status in errors:
            assert answers[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }, (path, status)
