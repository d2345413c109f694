"""Synthetic, reproducible rows for the Jobs list benchmark: tenants, parties and jobs.

One seed gives the same data every time. Rows are plain tuples in the column order below,
ready for asyncpg's ``copy_records_to_table``. Jobs are spread over the seven workflow
steps with the step deciding when the job is scheduled (open work mostly ahead, paid work
over the last two years); about 5% of the open jobs are deferred, and every tenant has a
batch of jobs scheduled *today* in its own zone, some of them completed, so that the
``completed_scheduled_today`` view has rows. Those are listed in ``today`` so a later run
can move them to its own today.
"""

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

TENANTS, JOBS, LARGEST = 100, 1_000_000, 200_000
LARGEST_TENANT = "bench-000"
JOBS_PER_CUSTOMER = 10
SEED = 20_260_101

# East and west of UTC; the largest tenant gets the first.
ZONES = [
    ("America/Chicago", "USD"), ("Europe/London", "GBP"), ("Australia/Sydney", "AUD"),
    ("America/Los_Angeles", "USD"), ("Asia/Kolkata", "INR"), ("America/New_York", "USD"),
    ("Europe/Berlin", "EUR"), ("Pacific/Auckland", "NZD"), ("America/Denver", "USD"),
    ("Asia/Tokyo", "JPY"), ("America/Sao_Paulo", "BRL"), ("Pacific/Honolulu", "USD"),
    ("Africa/Johannesburg", "ZAR"), ("UTC", "USD"),
]  # fmt: skip
# Each step's share of the jobs and the days (from today) its jobs are scheduled in.
# Day 0 is left to the "today" batch, so today's view holds only jobs we can move later.
STEPS = {
    "open_dispatch": (0.12, -14, 60),
    "in_progress": (0.03, -30, -1),
    "awaiting_quality_check": (0.04, -60, -1),
    "awaiting_billing": (0.04, -90, -1),
    "awaiting_payment": (0.08, -180, -1),
    "paid": (0.62, -730, -1),
    "canceled": (0.07, -730, 60),
}
TODAY_STEPS = {  # a working day in progress
    "open_dispatch": 0.25, "in_progress": 0.25, "awaiting_quality_check": 0.2,
    "awaiting_billing": 0.1, "awaiting_payment": 0.1, "paid": 0.05, "canceled": 0.05,
}  # fmt: skip
COMPLETED = {"awaiting_quality_check", "awaiting_billing", "awaiting_payment", "paid"}
OPEN = set(STEPS) - {"paid", "canceled"}
# 5% of all jobs are deferred, all of them open ones.
DEFER_CHANCE = 0.05 / sum(STEPS[s][0] for s in OPEN)
VERSIONS = dict(zip(STEPS, (1, 2, 3, 4, 5, 6, 2), strict=True))

# fmt: off
FIRST = ["Dana", "Sam", "Alex", "Priya", "Jordan", "Mei", "Luis", "Ava", "Noah", "Zoe", "Omar",
         "Ines", "Kai", "Lena", "Ravi", "Tom", "Hana", "Ivan", "Nora", "Eli", "Maya", "Finn"]
LAST = ["Whitfield", "Ortiz", "Nguyen", "Patel", "Okafor", "Kowalski", "Brennan", "Silva",
        "Moreau", "Tanaka", "Fischer", "Haddad", "Lindqvist", "Murphy", "Rossi", "Novak",
        "Adeyemi", "Costa", "Schmidt", "Kim", "Walsh", "Dubois", "Horvat", "Larsen", "Reyes"]
STREETS = ["Elm", "Maple", "Harbour", "Station", "Hill", "Mill", "Church", "Park", "Cedar",
           "Bridge", "Market", "Orchard"]
# fmt: on
KINDS = ["Street", "Road", "Avenue", "Lane", "Crescent", "Way"]
CITIES = [("Springfield", "IL"), ("Riverton", "WY"), ("Newtown", "NSW"), ("Fairview", "OR")]
WORK = ["Water heater", "Drain clearing", "AC service", "Leak repair", "Furnace tune-up",
        "Valve replacement", "Boiler service", "Gutter cleaning", "Panel upgrade"]  # fmt: skip
REASONS = ["Waiting for parts", "Customer away", "Access not possible", "Awaiting approval"]

TENANT_COLUMNS = ("tenant_id", "name", "time_zone", "currency")
CUSTOMER_COLUMNS = ("tenant_id", "customer_id", "name", "version_at")
PROPERTY_COLUMNS = ("tenant_id", "property_id", "customer_id", "address", "address_text",
                    "version_at")  # fmt: skip
TECHNICIAN_COLUMNS = ("tenant_id", "technician_id", "name", "phone", "commission_rate",
                      "currency", "version_at")  # fmt: skip
JOB_COLUMNS = ("tenant_id", "job_id", "job_number", "customer_id", "property_id",
               "technician_id", "summary", "step", "scheduled_start", "scheduled_end",
               "completed_at", "currency", "tax_rate", "total", "amount_paid", "created_at",
               "updated_at", "version", "deferred_at", "deferral_reason", "deferred_by",
               "search_text", "customer_name")  # fmt: skip
TODAY_COLUMNS = ("tenant_id", "job_id", "local_time")

Row = tuple[object, ...]


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    time_zone: str
    currency: str
    jobs: int

    def row(self) -> Row:
        return (self.tenant_id, self.name, self.time_zone, self.currency)


@dataclass
class TenantRows:
    """Everything one tenant owns; jobs hold the rows of ``JOB_COLUMNS``."""

    customers: list[Row] = field(default_factory=list)
    properties: list[Row] = field(default_factory=list)
    technicians: list[Row] = field(default_factory=list)
    jobs: list[Row] = field(default_factory=list)
    today: list[Row] = field(default_factory=list)


def tenants() -> list[Tenant]:
    """The largest tenant first, the other 99 sharing the rest unevenly (about 3k-14k)."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible data, not secrets
    weights = [rng.uniform(0.35, 1.75) for _ in range(TENANTS - 1)]
    rest = JOBS - LARGEST
    sizes = [LARGEST] + [int(rest * w / sum(weights)) for w in weights]
    sizes[1] += JOBS - sum(sizes)  # rounding
    return [
        Tenant(f"bench-{i:03d}", f"Bench Services {i:03d}", *ZONES[i % len(ZONES)], sizes[i])
        for i in range(TENANTS)
    ]


def tenant_rows(tenant: Tenant, now: datetime) -> TenantRows:
    """The tenant's customers, properties, technicians and jobs, reproducibly."""
    rng = random.Random(f"{SEED}/{tenant.tenant_id}")  # noqa: S311 - reproducible data
    out = TenantRows()
    homes = _parties(tenant, rng, now, out)
    technicians = [row[1] for row in out.technicians]
    zone = ZoneInfo(tenant.time_zone)
    today = now.astimezone(zone).date()
    midnight = datetime.combine(today, time(), zone).astimezone(UTC)
    money = _money(rng)
    tax_rate = Decimal(rng.choice(["0", "0.05", "0.0825", "0.1", "0.2"]))
    n_today = tenant.jobs // 700 + 5
    plan = _plan(rng, tenant.jobs - n_today, n_today)
    for number, (step, day) in enumerate(plan, start=100_001):
        minutes = 15 * rng.randrange(28, 72)  # 07:00-17:45, quarter hours
        slot = timedelta(minutes=minutes)
        if day is None:  # today, in the tenant's zone exactly (also on DST days)
            start = datetime.combine(today, time(), zone) + slot
            start = start.astimezone(UTC)
        else:
            start = midnight + timedelta(days=day) + slot
        customer_id, name, property_id, address = rng.choice(homes)
        total, half = rng.choice(money)
        job_id = _uuid(rng)
        if day is None:
            out.today.append((tenant.tenant_id, job_id, time(minutes // 60, minutes % 60)))
        completed = start + timedelta(hours=2) if step in COMPLETED else None
        if step == "canceled" and rng.random() < 0.2:  # canceled after the work was done
            completed = start + timedelta(hours=2)
        deferred = step in OPEN and rng.random() < DEFER_CHANCE
        paid = total if step == "paid" else (half if step == "awaiting_payment" else 0)
        created = start - timedelta(days=rng.randrange(1, 21))
        job_number = f"J-{number}"
        out.jobs.append(
            (tenant.tenant_id, job_id, job_number, customer_id, property_id,
             rng.choice(technicians), rng.choice(WORK), step, start, start + timedelta(hours=2),
             completed, tenant.currency, tax_rate, total, paid, created, completed or created,
             VERSIONS[step], (now - timedelta(days=rng.randrange(0, 30))) if deferred else None,
             rng.choice(REASONS) if deferred else None, "office" if deferred else None,
             # as jobs.search_text_of: lower(concat_ws(' ', number, name, address))
             f"{job_number} {name} {address}".lower(), name)
        )  # fmt: skip
    return out


def _plan(rng: random.Random, n_regular: int, n_today: int) -> Iterator[tuple[str, int | None]]:
    """(step, day from today or None for today) per job, in job-number order."""
    steps = rng.choices(list(STEPS), [s[0] for s in STEPS.values()], k=n_regular)
    steps += rng.choices(list(TODAY_STEPS), list(TODAY_STEPS.values()), k=n_today)
    days: list[int | None] = [rng.randint(STEPS[s][1], STEPS[s][2]) or 1 for s in steps[:n_regular]]
    days += [None] * n_today
    order = list(zip(steps, days, strict=True))
    rng.shuffle(order)  # job numbers do not follow the step
    return iter(order)


def _parties(
    tenant: Tenant, rng: random.Random, now: datetime, out: TenantRows
) -> list[tuple[uuid.UUID, str, uuid.UUID, str]]:
    """Customers (one per ~10 jobs) with one or two properties each, and technicians."""
    city, region = rng.choice(CITIES)
    homes = []
    for _ in range(max(1, tenant.jobs // JOBS_PER_CUSTOMER)):
        customer_id, name = _uuid(rng), f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        out.customers.append((tenant.tenant_id, customer_id, name, now))
        for _ in range(1 if rng.random() < 0.8 else 2):
            line1 = f"{rng.randrange(1, 400)} {rng.choice(STREETS)} {rng.choice(KINDS)}"
            postal = str(rng.randrange(10000, 99999))
            address = {"line1": line1, "city": city, "region": region, "postal_code": postal}
            text = ", ".join((line1, city, region, postal))  # as Address.one_line()
            property_id = _uuid(rng)
            out.properties.append(
                (tenant.tenant_id, property_id, customer_id, json.dumps(address), text, now)
            )
            homes.append((customer_id, name, property_id, text))
    for n in range(tenant.jobs // 1500 + 3):
        out.technicians.append(
            (tenant.tenant_id, _uuid(rng), f"{rng.choice(FIRST)} {rng.choice(LAST)}",
             f"+1555{n:07d}", Decimal("0.12"), tenant.currency, now)
        )  # fmt: skip
    return homes


def _money(rng: random.Random) -> list[tuple[Decimal, Decimal]]:
    """A pool of (total, half of it) to draw from: Decimals are slow to make per row."""
    cents = (rng.randrange(8_000, 250_000) for _ in range(500))
    return [(Decimal(c).scaleb(-2), Decimal(c // 2).scaleb(-2)) for c in cents]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
