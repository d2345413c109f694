"""The batch path and the one-message path write the same rows and the same outbox bytes.

The same facts (same message ids) go once through ``handle_batch`` and once one by one
through ``MessageBus.handle``, each into its own fresh database; then every table of the
jobs schema is compared row for row. Only what cannot match is left out: the surrogate
serial ids (``outbox.outbox_id``, ``timeline.entry_id``) and the columns the database
fills with ``now()`` (listed in IGNORED, and checked against the schema), and the shard
of the list views' counters (the writing backend's pid, so they are compared summed
over shards, as readers sum them). Rows of the outbox and the timeline are compared in
id order, which is the order the relay sends; other tables as sets of rows. Of
``jobs.state.v1`` the last snapshot per job is compared, which is what its readers keep: a
batch writes one per job, one message at a time one per message.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest

from jobline_contracts.topics import JOBS_LIFECYCLE, JOBS_STATE
from jobline_jobs.adapters.job_cache import JobCache
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.postgres_batch import PostgresBatch
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.row_writer import COPY_FROM
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.domain import commands as c
from jobline_jobs.service_layer.batches import handle_batch
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation
from jobline_testing.databases import fresh_database
from jobline_testing.infra import Infra
from jobs_testing.builders import T0

pytestmark = pytest.mark.integration

TENANT = "t-batch-equal"
IGNORED = {
    ("outbox", "outbox_id"),  # serial
    ("outbox", "created_at"),
    ("timeline", "entry_id"),  # serial
    ("jobs", "created_at"),
    ("jobs", "updated_at"),
    ("tenants", "created_at"),
    ("processed_messages", "processed_at"),
    ("api_tokens", "created_at"),
    ("users", "created_at"),
    ("idempotency_keys", "created_at"),
    ("idempotency_keys", "claimed_at"),
    ("invoice_renders", "requested_at"),
    ("invoice_renders", "updated_at"),
    ("communications", "created_at"),
    ("deliveries", "updated_at"),
    ("tenant_sign_on", "updated_at"),  # issue 18's single sign-on settings
}
IN_ID_ORDER = {"outbox": "outbox_id", "timeline": "entry_id"}


@dataclass(frozen=True)
class Ids:
    tech_a: UUID = field(default_factory=uuid4)
    tech_b: UUID = field(default_factory=uuid4)
    customer: UUID = field(default_factory=uuid4)
    prop: UUID = field(default_factory=uuid4)
    late_customer: UUID = field(default_factory=uuid4)
    late_property: UUID = field(default_factory=uuid4)
    job: UUID = field(default_factory=uuid4)
    recall: UUID = field(default_factory=uuid4)
    late_job: UUID = field(default_factory=uuid4)
    visit: UUID = field(default_factory=uuid4)
    second_visit: UUID = field(default_factory=uuid4)
    recall_visit: UUID = field(default_factory=uuid4)
    late_visit: UUID = field(default_factory=uuid4)
    cash: UUID = field(default_factory=uuid4)


def _address() -> c.Address:
    return c.Address("12 Elm Street", None, "Denver", "CO", "80202", "US")


def _dispatch(ids: Ids, job: UUID, number: str, visit: UUID, tech: UUID) -> c.DispatchJob:
    return _dispatch_to(ids.customer, ids.prop, job, number, visit, tech)


def _dispatch_to(
    customer: UUID, prop: UUID, job: UUID, number: str, visit: UUID, tech: UUID
) -> c.DispatchJob:
    line = c.LineItem(uuid4(), "LAB", "Labour", Decimal(2), Decimal("90.00"), taxable=False)
    part = c.LineItem(uuid4(), None, "Valve", Decimal(1), Decimal("45.50"), taxable=True)
    end = T0 + timedelta(hours=2)
    return c.DispatchJob(
        *(TENANT, T0, job, number, customer, prop, tech, "Fix the boiler", T0, end, "USD"),
        Decimal("0.08"),
        (line, part),
        c.Visit(visit, tech, T0, T0 + timedelta(hours=1)),
    )


def _cheaper_lines() -> tuple[c.LineItem, ...]:
    line = c.LineItem(uuid4(), "LAB", "Labour", Decimal(2), Decimal("90.00"), taxable=False)
    part = c.LineItem(uuid4(), None, "Valve (cheaper)", Decimal(1), Decimal("35.50"), taxable=True)
    return (line, part)


def facts(story: int) -> list[c.Command]:
    """Parties, a job from dispatch to paid with a second visit and a document, a recall
    of it with a chargeback, and a job whose customer and property arrive after it."""
    ids, t = Ids(), TENANT
    card = (c.RateCardLine("LAB", "Labour", Decimal("80.00")),)
    contact = c.ContactInfo(uuid4(), "Dana", "+15555550101", None, None)
    second = c.Visit(ids.second_visit, ids.tech_b, T0, T0 + timedelta(hours=3))
    return [
        c.UpsertTechnician(t, T0, ids.tech_a, "Sam", None, Decimal("0.2"), card, "USD"),
        c.UpsertTechnician(t, T0, ids.tech_b, "Ana", "+15555550102", Decimal("0.1"), card, "USD"),
        c.UpsertCustomer(t, T0, ids.customer, "Dana Whitfield", (contact,), _address()),
        c.UpsertProperty(t, T0, ids.prop, ids.customer, _address(), ()),
        _dispatch(ids, ids.job, f"J-{story}00", ids.visit, ids.tech_a),
        c.AssignDispatch(t, T0, ids.job, second),
        c.RescheduleJob(t, T0, ids.job, T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2)),
        c.ChangeDispatchStatus(t, T0, ids.job, ids.visit, "en_route"),
        c.StartJob(t, T0, ids.job),
        c.ChangeDispatchStatus(t, T0, ids.job, ids.visit, "completed"),
        c.CompleteWork(t, T0, ids.job, T0 + timedelta(hours=5)),
        c.RecordQualityCheck(t, T0, ids.job, passed=True, notes="photos checked"),
        c.AddDocument(
            *(t, T0, uuid4(), ids.job, None, "finished_photo", "blobs/a", "a.jpg", "image/jpeg"),
            1234,
        ),
        c.IssueInvoice(t, T0, ids.job),
        c.ChangeLines(t, T0, ids.job, _cheaper_lines(), Decimal("0.08")),  # 229.14 -> 218.34
        c.RecordPayment(t, T0, ids.job, uuid4(), Decimal("100.00"), "card"),
        c.RecordPayment(t, T0, ids.job, ids.cash, Decimal("129.14"), "cash"),
        c.RefundPayment(t, T0, ids.job, ids.cash, uuid4(), Decimal("10.80"), "overpaid"),
        c.VoidInvoice(t, T0, ids.job, "issued to the wrong customer"),
        _dispatch(ids, ids.recall, f"J-{story}01", ids.recall_visit, ids.tech_b),
        c.LinkRecall(t, T0, ids.recall, ids.job, "leak came back", uuid4()),
        c.ChangeDispatchStatus(t, T0, ids.recall, ids.recall_visit, "en_route"),
        _dispatch_to(
            ids.late_customer,
            ids.late_property,
            ids.late_job,
            f"J-{story}02",
            ids.late_visit,
            ids.tech_a,
        ),
        c.AddDocument(
            *(t, T0, uuid4(), None, ids.late_property, "document", "blobs/b", "b.pdf", "x/pdf"),
            99,
        ),
        c.UpsertCustomer(t, T0, ids.late_customer, "Lee Park", (), None),
        c.UpsertProperty(t, T0, ids.late_property, ids.late_customer, _address(), ()),
        c.CancelJob(t, T0, ids.late_job, "customer moved"),
    ]


def with_causes(commands: list[c.Command]) -> list[tuple[c.Command, Causation]]:
    items = []
    for command in commands:
        message_id = uuid4()
        why = Causation("jobs.dispatch-facts", message_id, "fact", uuid4(), T0, "upstream")
        items.append((command, why))
    return [*items, items[8]]  # and a redelivered fact, a duplicate on both paths


@pytest.fixture
async def two_databases(infra: Infra) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool]]:
    async with (
        fresh_database(infra.database_url) as first,
        fresh_database(infra.database_url) as second,
    ):
        pools = []
        for url in (first, second):
            pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
            async with pool.acquire() as conn:
                await migrate(conn)
                await add_tenant(conn, TENANT, "Test Plumbing", "America/Denver", "USD")
            pools.append(pool)
        yield pools[0], pools[1]
        for pool in pools:
            await pool.close()


async def everything(db: asyncpg.Pool) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the jobs schema, without the IGNORED columns."""
    columns = await db.fetch(
        """SELECT table_name, column_name, column_default FROM information_schema.columns
            WHERE table_schema = 'jobs' AND table_name <> 'schema_migrations'
            ORDER BY table_name, ordinal_position"""
    )
    generated = {
        (r["table_name"], r["column_name"])
        for r in columns
        if r["column_default"]
        and ("now()" in r["column_default"] or "nextval" in r["column_default"])
    }
    assert generated == IGNORED, "a column filled by the database is not accounted for"
    tables: dict[str, list[str]] = {}
    for r in columns:
        if (r["table_name"], r["column_name"]) not in IGNORED:
            tables.setdefault(r["table_name"], []).append(r["column_name"])
    found: dict[str, list[tuple[object, ...]]] = {}
    del tables["view_counts"]
    views = await db.fetch(
        """SELECT tenant_id, bucket, sum(n) FROM jobs.view_counts
            GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2"""
    )
    found["view_counts"] = [tuple(row) for row in views]
    for table, names in tables.items():
        order = IN_ID_ORDER.get(table, "1")
        listed = ", ".join(f'"{n}"' for n in names)
        rows = await db.fetch(f"SELECT {listed} FROM jobs.{table} ORDER BY {order}")  # noqa: S608
        found[table] = [tuple(row) for row in rows]
        if table not in IN_ID_ORDER:
            found[table].sort(key=repr)
    found["outbox"], found["jobs.state.v1, last per job"] = _states_apart(
        found["outbox"], tables["outbox"]
    )
    return found


def _states_apart(
    outbox: list[tuple[object, ...]], names: list[str]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The outbox without jobs.state.v1, and of that topic what a reader keeps: each job's
    last payload. A transaction writes one snapshot per job, so a batch writes fewer than
    one message at a time, in the flows of other causes; the state they end on is one."""
    topic, key, value = (names.index(n) for n in ("topic", "key", "value"))
    last = {}
    for row in outbox:
        if row[topic] == JOBS_STATE.name:
            last[row[key]] = json.loads(row[value])["payload"]  # type: ignore[arg-type]
    rest = [row for row in outbox if row[topic] != JOBS_STATE.name]
    return rest, sorted(((k, json.dumps(p, sort_keys=True)) for k, p in last.items()), key=repr)


@pytest.mark.parametrize(
    ("batch_size", "cached"),
    [(5, False), (1000, False), (5, True)],  # cached: jobs kept between batches
)
async def test_the_batch_path_writes_what_the_single_path_writes(
    two_databases: tuple[asyncpg.Pool, asyncpg.Pool], batch_size: int, *, cached: bool
) -> None:
    batched_db, single_db = two_databases
    # Nine stories: in one batch, enough rows of each kind for the writer to COPY them.
    items = with_causes([fact for story in range(1, 10) for fact in facts(story)])

    batched, cache = [], JobCache() if cached else None
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        batched += await handle_batch(lambda: PostgresBatch(batched_db, cache), chunk)
    bus = MessageBus(lambda why: PostgresUnitOfWork(single_db, why))
    one_by_one = [await bus.handle(command, why) for command, why in items]

    assert batched == one_by_one
    assert one_by_one[-1] == "duplicate"
    assert set(one_by_one[:-1]) == {"applied"}
    batch_rows, single_rows = await everything(batched_db), await everything(single_db)
    assert batch_rows.keys() == single_rows.keys()
    for table, rows in single_rows.items():
        assert batch_rows[table] == rows, table
    # It compared something: the story left rows where it should have.
    lifecycle = [r for r in single_rows["outbox"] if r[0] == JOBS_LIFECYCLE.name]
    assert len(lifecycle) > COPY_FROM
    for copied in ("line_items", "dispatches", "dispatch_status_history", "timeline"):
        assert len(single_rows[copied]) >= COPY_FROM, copied
    assert len(single_rows["chargebacks"]) == len(single_rows["recall_links"]) == 9
    assert len(single_rows["payments"]) == len(single_rows["documents"]) == 18
    # Revisions: issued, lines changed, two payments, the refund.
    assert len(single_rows["invoice_revisions"]) == 9 * 5
    assert len(single_rows["payment_refunds"]) == 9
    assert len(single_rows["jobs.state.v1, last per job"]) == 9 * 3  # a job, its recall, a late


async def test_kept_jobs_are_never_stale_when_another_writer_changes_them(
    two_databases: tuple[asyncpg.Pool, asyncpg.Pool],
) -> None:
    """The job cache's invariant (adapters/job_cache.py): every change to what a job's
    load reads bumps its version. Each story's facts alternate between a consumer that
    keeps its jobs (batches of two) and the one-message path (as the API and the other
    subscribers write): every kind of change of the story is made behind the kept copies'
    back, and the rows are still those of the one-message path alone."""
    mixed_db, single_db = two_databases
    items = with_causes([fact for story in range(1, 4) for fact in facts(story)])
    cache = JobCache()
    behind = MessageBus(lambda why: PostgresUnitOfWork(mixed_db, why))
    mixed = []
    for start in range(0, len(items), 3):
        batch, other = items[start : start + 2], items[start + 2 : start + 3]
        mixed += await handle_batch(lambda: PostgresBatch(mixed_db, cache), batch)
        mixed += [await behind.handle(command, why) for command, why in other]
    bus = MessageBus(lambda why: PostgresUnitOfWork(single_db, why))
    one_by_one = [await bus.handle(command, why) for command, why in items]

    assert mixed == one_by_one
    assert len(cache) > 0  # it kept jobs, and was asked for them again
    mixed_rows, single_rows = await everything(mixed_db), await everything(single_db)
    for table, rows in single_rows.items():
        assert mixed_rows[table] == rows, table
