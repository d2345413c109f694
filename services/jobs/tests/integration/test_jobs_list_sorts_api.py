"""The Jobs list's sorts, filters, paid and canceled views and CSV export, over real
PostgreSQL: every sort both ways pages through equal keys with no row twice and none
skipped; the export holds exactly the rows the API's pages hold."""

import csv
import io
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from jobline_jobs.adapters.job_queries import JobQueries, ListQuery
from jobline_jobs.domain.list_sorts import Order, Sort
from jobline_jobs.service_layer.queries import PAGE_COLUMNS
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration

ZONE = "America/Denver"
# Per job: (day offset, hour, customer, balance). Keys repeat so that pages split runs of
# equal keys, and no sort's order is another's.
JOBS = [
    (0, 9, "Casey Lund", "0.00"),
    (0, 9, "Avery Stone", "40.00"),
    (0, 9, "Blake Moss", "10.00"),
    (-1, 23, "Avery Stone", "10.00"),
    (1, 0, "Casey Lund", "100.00"),
    (0, 14, "Blake Moss", "40.00"),
    (0, 23, "Avery Stone", "0.00"),
    (2, 8, "Blake Moss", "10.00"),
]


def local(days: int, hour: int) -> datetime:
    tz = ZoneInfo(ZONE)
    return datetime.combine(datetime.now(tz).date() + timedelta(days=days), time(hour), tz)


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path)


@pytest.fixture
async def tenant(db: asyncpg.Pool) -> TenantSeeder:
    """Eight jobs of 100.00 each, named and paid down to the balances of ``JOBS``."""
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", ZONE).create()
    for days, hour, name, balance in JOBS:
        job = await t.job(local(days, hour), steps=4)
        await db.execute(
            "UPDATE jobs.customers SET name = $3 WHERE tenant_id = $1 AND customer_id = $2",
            t.tenant_id,
            job.customer_id,
            name,
        )
        await db.execute(
            "UPDATE jobs.jobs SET amount_paid = total - $3 WHERE tenant_id = $1 AND job_id = $2",
            t.tenant_id,
            job.job_id,
            Decimal(balance),
        )
    return t


def key(sort: str, row: dict[str, Any]) -> tuple[Any, str]:
    value = {
        "scheduled": lambda: datetime.fromisoformat(row["scheduled_start"]),
        "number": lambda: row["number"],
        "customer": lambda: row["customer"]["name"],
        "balance": lambda: Decimal(row["money"]["balance_due"]),
    }[sort]()
    return value, row["number"]


async def pages(api, limit: int = 3, **params) -> list[dict[str, Any]]:
    """Every row, following next_cursor page by page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        answer = await api.get("/v1/jobs", params={"limit": limit, **params, **extra})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        rows += page["items"]
        if not (cursor := page["next_cursor"]):
            return rows


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", ["scheduled", "number", "customer", "balance"])
async def test_each_sort_pages_both_ways_through_equal_keys(app, tenant, sort, order):
    async with client(app, tenant.token) as api:
        everyone = (await api.get("/v1/jobs", params={"limit": 200})).json()["items"]
        paged = await pages(api, limit=2, sort=sort, order=order)
    expected = sorted(everyone, key=lambda r: key(sort, r), reverse=order == "desc")
    numbers = [r["number"] for r in paged]
    assert len(numbers) == len(set(numbers)) == len(JOBS), "no row twice, none skipped"
    assert numbers == [r["number"] for r in expected]


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", ["number", "customer", "balance"])
async def test_a_date_range_sorted_by_another_key_pages_both_ways(app, tenant, sort, order):
    """A range sorted by anything but its own scheduled order is the page query's other
    shape (the range's keys sorted first, then its rows read): same rows, same order."""
    today = datetime.now(ZoneInfo(ZONE)).date()
    in_range = {"scheduled_from": today, "scheduled_to": today + timedelta(days=1)}
    async with client(app, tenant.token) as api:
        whole = (await api.get("/v1/jobs", params={"limit": 200, **in_range})).json()["items"]
        paged = await pages(api, limit=2, sort=sort, order=order, **in_range)
    expected = sorted(whole, key=lambda r: key(sort, r), reverse=order == "desc")
    numbers = [r["number"] for r in paged]
    assert len(numbers) == len(set(numbers)) == 6, "no row twice, none skipped"
    assert numbers == [r["number"] for r in expected]
    assert paged == expected, "each row whole, as the list shows it"


async def test_a_cursor_of_one_sort_is_refused_by_another(app, tenant):
    async with client(app, tenant.token) as api:
        first = (await api.get("/v1/jobs", params={"limit": 2, "sort": "customer"})).json()
        for other in ({"sort": "number"}, {"sort": "customer", "order": "desc"}):
            answer = await api.get(
                "/v1/jobs", params={"limit": 2, "cursor": first["next_cursor"], **other}
            )
            assert answer.status_code == 422, other
            assert answer.json()["error"]["code"] == "invalid_cursor"


async def test_the_date_range_is_whole_days_in_the_tenants_zone(app, tenant):
    today = datetime.now(ZoneInfo(ZONE)).date()
    async with client(app, tenant.token) as api:
        only_today = await pages(api, scheduled_from=today, scheduled_to=today)
        from_tomorrow = await pages(api, scheduled_from=today + timedelta(days=1))
        until_yesterday = await pages(api, scheduled_to=today - timedelta(days=1))
        backwards = await api.get(
            "/v1/jobs", params={"scheduled_from": today, "scheduled_to": today - timedelta(1)}
        )
    assert len(only_today) == 5  # 09:00 three times, 14:00 and 23:00; not 00:00 tomorrow
    starts = sorted(datetime.fromisoformat(r["scheduled_start"]) for r in only_today)
    assert (starts[0], starts[-1]) == (local(0, 9), local(0, 23))
    assert len(from_tomorrow) == 2
    assert len(until_yesterday) == 1
    assert backwards.status_code == 422
    assert "scheduled_from is after scheduled_to" in backwards.json()["error"]["message"]


async def test_balance_due_keeps_the_jobs_owing_or_the_others(app, tenant):
    async with client(app, tenant.token) as api:
        owing = await pages(api, balance_due="true", sort="balance")
        settled = await pages(api, balance_due="false")
    assert [r["money"]["balance_due"] for r in owing] == ["10.00"] * 3 + ["40.00"] * 2 + ["100.00"]
    assert [r["money"]["balance_due"] for r in settled] == ["0.00", "0.00"]


async def test_technician_filter_combines_with_a_sort(app, tenant, db):
    some = await db.fetchrow(
        "SELECT technician_id, job_number FROM jobs.jobs WHERE tenant_id = $1 LIMIT 1",
        tenant.tenant_id,
    )
    async with client(app, tenant.token) as api:
        rows = await pages(
            api, technician_id=str(some["technician_id"]), sort="customer", order="desc"
        )
    assert [r["number"] for r in rows] == [some["job_number"]]


async def test_paid_and_canceled_have_views_and_counts(app, tenant, db):
    numbers = ["J-00002", "J-00003", "J-00005"]
    await db.execute(
        "UPDATE jobs.jobs SET step = CASE job_number WHEN 'J-00005' THEN 'canceled'"
        " ELSE 'paid' END WHERE tenant_id = $1 AND job_number = ANY($2)",
        tenant.tenant_id,
        numbers,
    )
    async with client(app, tenant.token) as api:
        paid = await pages(api, view="paid")
        canceled = await pages(api, view="canceled")
        counts = {v["view"]: v["count"] for v in (await api.get("/v1/jobs/views")).json()["views"]}
    assert [r["number"] for r in paid] == ["J-00002", "J-00003"]
    assert [r["number"] for r in canceled] == ["J-00005"]
    assert (counts["paid"], counts["canceled"], counts["awaiting_payment"]) == (2, 1, 5)


async def test_a_renamed_customer_moves_in_the_customer_sort(app, tenant, db):
    last = await db.fetchrow(
        "SELECT customer_id, job_number FROM jobs.jobs WHERE tenant_id = $1"
        " ORDER BY job_number DESC LIMIT 1",
        tenant.tenant_id,
    )
    await db.execute(
        "UPDATE jobs.customers SET name = 'Aaron Abbott' WHERE tenant_id = $1 AND customer_id = $2",
        tenant.tenant_id,
        last["customer_id"],
    )
    async with client(app, tenant.token) as api:
        rows = await pages(api, sort="customer")
    assert (rows[0]["number"], rows[0]["customer"]["name"]) == (last["job_number"], "Aaron Abbott")


EXPORTS = [
    {},
    {"sort": "customer", "order": "desc"},
    {"sort": "balance", "balance_due": "true"},
    {"view": "awaiting_payment", "sort": "number", "order": "desc"},
]


@pytest.mark.parametrize("params", EXPORTS)
async def test_the_export_holds_the_rows_of_the_apis_pages(app, tenant, params):
    async with client(app, tenant.token) as api:
        rows = await pages(api, **params)
        answer = await api.get("/v1/jobs/export.csv", params=params)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(answer.text)))
    assert [line["number"] for line in lines] == [r["number"] for r in rows]
    for line, row in zip(lines, rows, strict=True):
        assert line["id"] == row["id"]
        assert line["customer"] == row["customer"]["name"]
        assert line["balance_due"] == row["money"]["balance_due"]
        exported = datetime.fromisoformat(line["scheduled_start"])
        assert exported == datetime.fromisoformat(row["scheduled_start"])
        assert exported.utcoffset() == exported.astimezone(ZoneInfo(ZONE)).utcoffset()


async def test_the_export_streams_every_row_of_each_sort_as_the_pages_do(db, tenant):
    """The adapter's export against its pages: the same jobs in the same order."""
    queries = JobQueries(db)
    for sort in Sort:
        for order in Order:
            query = ListQuery(sort=sort, order=order, limit=200)
            everything, _ = await queries.page(tenant.tenant_id, ZONE, query)
            exported = [
                r async for batch in queries.export(tenant.tenant_id, ZONE, query) for r in batch
            ]
            assert [r[0] for r in exported] == [r["job_number"] for r in everything], (
                sort,
                order,
            )


async def test_a_page_row_has_the_columns_the_page_json_reads_by_position(db, tenant):
    """``list_page`` builds each item from a row's values by position: both statements of
    ``JobQueries.page`` (a view's index, and a range's covering index) return exactly
    ``PAGE_COLUMNS``, in that order."""
    queries = JobQueries(db)
    today = datetime.now(ZoneInfo(ZONE)).replace(hour=0, minute=0, second=0, microsecond=0)
    for query in (
        ListQuery(limit=5),
        ListQuery(limit=5, sort=Sort.NUMBER, scheduled_from=today - timedelta(days=2)),
    ):
        rows, _ = await queries.page(tenant.tenant_id, ZONE, query)
        assert rows, query
        assert all(tuple(r.keys()) == PAGE_COLUMNS for r in rows), query


async def test_the_export_defuses_formulas_and_owes_what_the_list_shows(app, tenant, db):
    await db.execute(
        "UPDATE jobs.customers SET name = '=HYPERLINK(\"http://x\")' WHERE tenant_id = $1",
        tenant.tenant_id,
    )
    await db.execute(
        "UPDATE jobs.jobs SET step = 'canceled' WHERE tenant_id = $1 AND job_number = 'J-00005'",
        tenant.tenant_id,
    )
    async with client(app, tenant.token) as api:
        answer = await api.get("/v1/jobs/export.csv", params={"sort": "number"})
        rows = await pages(api, sort="number")
    lines = list(csv.DictReader(io.StringIO(answer.text)))
    assert {line["customer"] for line in lines} == {'\'=HYPERLINK("http://x")'}
    assert [line["balance_due"] for line in lines] == [r["money"]["balance_due"] for r in rows]
    # Canceled after its invoice was issued: the invoice stands, so does the balance.
    assert (lines[4]["step"], lines[4]["balance_due"]) == ("canceled", "100.00")


async def test_count_says_how_many_match_the_search_and_filters(app, tenant):
    async with client(app, tenant.token) as api:
        owing = (await api.get("/v1/jobs/count", params={"balance_due": "true"})).json()
        named = (await api.get("/v1/jobs/count", params={"q": "J-00003"})).json()
        everyone = (await api.get("/v1/jobs/count")).json()
    assert owing == {"count": 6, "more": False}
    assert named == {"count": 1, "more": False}
    assert everyone == {"count": len(JOBS), "more": False}


async def test_technicians_are_the_tenants_own(app, tenant, db):
    mine = {
        str(r["technician_id"])
        for r in await db.fetch(
            "SELECT technician_id FROM jobs.jobs WHERE tenant_id = $1", tenant.tenant_id
        )
    }
    other = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", ZONE).create()
    await other.job(local(0, 9))
    async with client(app, tenant.token) as api:
        listed = (await api.get("/v1/jobs/technicians")).json()["items"]
    assert {t["id"] for t in listed} == mine
