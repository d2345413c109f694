"""Load demo data by publishing upstream facts to Kafka, the path real dispatch systems use.

Two tenants in different time zones, a few hundred jobs across every workflow step,
jobs completed today, deferred jobs (deferred through the API, as operators do),
customers with several contacts. Ids and message ids are derived
from names, so loading twice publishes the same messages and changes nothing.

Usage: python deploy/demo/load_demo.py  (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL from env;
it provisions the two tenants first and waits until the jobs service applied every job)
"""

import asyncio
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from jobline_contracts import facts
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.topics import DISPATCH_EVENTS
from jobline_contracts.types import Address
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token

TENANTS = {
    "acme": ("Acme Plumbing", "America/New_York", "USD", "Springfield", "IL"),
    "harbour": ("Harbour Heating & Cooling", "Australia/Sydney", "AUD", "Newtown", "NSW"),
}
JOBS_PER_TENANT = 150
FIRST = ["Dana", "Sam", "Alex", "Priya", "Jordan", "Mei", "Luis", "Ava", "Noah", "Zoe"]
LAST = ["Whitfield", "Ortiz", "Nguyen", "Patel", "Okafor", "Kowalski", "Brennan", "Silva"]
STREETS = ["Elm Street", "Harbour Road", "Maple Avenue", "Station Lane", "Hill Crescent"]
WORK = [
    ("Water heater", "899.99"),
    ("Drain clearing", "149.00"),
    ("AC service", "189.50"),
    ("Leak repair", "240.00"),
    ("Furnace tune-up", "129.95"),
    ("Valve replacement", "75.25"),
]
# How far each demo job gets: the facts after job.dispatched, in order.
JOURNEYS = [
    [],
    ["job.started"],
    ["job.started", "job.work_completed"],
    ["job.started", "job.work_completed", "job.quality_checked"],
    ["job.started", "job.work_completed", "job.quality_checked", "job.invoiced"],
    ["job.started", "job.work_completed", "job.quality_checked", "job.invoiced", "paid"],
    ["job.canceled"],
]


def uid(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "jobline-demo/" + "/".join(map(str, parts)))


class Loader:
    def __init__(self, producer: AIOKafkaProducer, tenant: str) -> None:
        self.producer, self.tenant, self.sent = producer, tenant, 0

    async def send(self, payload: Payload, key: UUID, at: datetime, name: str) -> None:
        envelope: Envelope[Any] = Envelope.wrap(
            payload, tenant_id=self.tenant, occurred_at=at, message_id=uid(self.tenant, name)
        )
        await self.producer.send(DISPATCH_EVENTS.name, envelope.to_json(), key=str(key).encode())
        self.sent += 1


def phone(rng: random.Random) -> str:
    return f"+1555555{rng.randrange(1000, 9999)}"


async def load_tenant(loader: Loader, rng: random.Random) -> int:
    _, zone, currency, city, region = TENANTS[loader.tenant]
    tz, t = ZoneInfo(zone), loader.tenant
    today = datetime.now(tz).replace(hour=8, minute=0, second=0, microsecond=0)
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    customers = []
    for c in range(40):
        person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        contacts = [
            facts.Contact(
                contact_id=uid(t, "contact", c, n),
                name=(n and f"{rng.choice(FIRST)} {person.split()[1]}") or person,
                phone=phone(rng),
                email=f"{person.split(maxsplit=1)[0].lower()}{c}.{n}@example.com",
                role=["owner", "spouse", "accounts"][n],
            )
            for n in range(1 + c % 3)
        ]
        cid = uid(t, "customer", c)
        await loader.send(
            facts.CustomerUpserted(customer_id=cid, name=person, contacts=contacts),
            cid,
            epoch,
            f"customer/{c}",
        )
        pid = uid(t, "property", c)
        address = Address(
            line1=f"{rng.randrange(1, 300)} {rng.choice(STREETS)}",
            city=city,
            region=region,
            postal_code=str(rng.randrange(2000, 9999)),
            country="AU" if currency == "AUD" else "US",
        )
        tenant_contact = facts.Contact(
            contact_id=uid(t, "site-contact", c),
            name="Site manager",
            phone=phone(rng),
            role="site manager",
        )
        await loader.send(
            facts.PropertyUpserted(
                property_id=pid, customer_id=cid, address=address, contacts=[tenant_contact]
            ),
            pid,
            epoch,
            f"property/{c}",
        )
        customers.append((cid, pid))
    technicians = [uid(t, "technician", n) for n in range(6)]
    for n, tech in enumerate(technicians):
        card = [
            facts.RateCardEntry(code=f"W{i}", description=w, unit_price=Decimal(p))
            for i, (w, p) in enumerate(WORK)
        ]
        await loader.send(
            facts.TechnicianUpserted(
                technician_id=tech,
                name=f"{FIRST[n]} {LAST[n]}",
                phone=phone(rng),
                commission_rate=Decimal("0.10") + Decimal(n) / 100,
                rate_card=card,
                currency=currency,
            ),
            tech,
            epoch,
            f"technician/{n}",
        )
    for j in range(JOBS_PER_TENANT):
        journey = JOURNEYS[j % len(JOURNEYS)]
        done_today = j % 10 == 2  # work completed on a job scheduled for today
        offset = 0 if done_today else (rng.randrange(-14, 0) if journey else rng.randrange(0, 14))
        start = today + timedelta(days=offset, hours=rng.randrange(0, 9))
        await send_job(
            loader,
            rng,
            j,
            journey=journey,
            start=start,
            customers=customers,
            technicians=technicians,
            currency=currency,
        )
    return JOBS_PER_TENANT


async def send_job(
    loader: Loader,
    rng: random.Random,
    j: int,
    *,
    journey: list[str],
    start: datetime,
    customers: list[tuple[UUID, UUID]],
    technicians: list[UUID],
    currency: str,
) -> None:
    t = loader.tenant
    job, (cid, pid), tech = uid(t, "job", j), rng.choice(customers), rng.choice(technicians)
    window = facts.ArrivalWindow(start=start, end=start + timedelta(hours=2))
    work, price = rng.choice(WORK)
    lines = [
        facts.LineItem(
            line_id=uid(t, "line", j, 0),
            code="W",
            description=work,
            quantity=Decimal(1),
            unit_price=Decimal(price),
        ),
        facts.LineItem(
            line_id=uid(t, "line", j, 1),
            code="L",
            description="Labour (hours)",
            quantity=Decimal(rng.choice(["1", "1.5", "2"])),
            unit_price=Decimal("95.00"),
            taxable=False,
        ),
    ]
    dispatched = facts.JobDispatched(
        job_id=job,
        job_number=f"J-{10001 + j}",
        customer_id=cid,
        property_id=pid,
        technician_id=tech,
        summary=work,
        schedule=window,
        currency=currency,
        tax_rate=Decimal("0.08"),
        line_items=lines,
        dispatch=facts.DispatchRecord(
            dispatch_id=uid(t, "visit", j), technician_id=tech, arrival_window=window
        ),
    )
    booked = start - timedelta(days=3)
    await loader.send(dispatched, job, booked, f"job/{j}/dispatched")
    total = sum((li.quantity * li.unit_price).quantize(Decimal("0.01")) for li in lines)
    total += (lines[0].unit_price * Decimal("0.08")).quantize(Decimal("0.01"))
    payloads: dict[str, Payload] = {
        "job.started": facts.JobStarted(job_id=job),
        "job.work_completed": facts.JobWorkCompleted(
            job_id=job, completed_at=start + timedelta(hours=2)
        ),
        "job.quality_checked": facts.JobQualityChecked(job_id=job, outcome="passed"),
        "job.invoiced": facts.JobInvoiced(job_id=job),
        "paid": facts.PaymentRecorded(
            job_id=job, payment_id=uid(t, "payment", j), amount=total, method="card"
        ),
        "job.canceled": facts.JobCanceled(job_id=job, reason="Customer canceled"),
    }
    for step, fact in enumerate(journey, start=1):
        await loader.send(
            payloads[fact], job, start + timedelta(minutes=30 * step), f"job/{j}/{fact}"
        )


async def provision_tenants(dsn: str) -> None:
    """Tenants are provisioned by operators, not by facts: do what an operator would."""
    conn = await asyncpg.connect(dsn)
    try:
        for tenant, (name, zone, currency, _, _) in TENANTS.items():
            await add_tenant(conn, tenant, name, zone, currency)
    finally:
        await conn.close()


async def wait_applied(dsn: str, expected: int, within: float = 120.0) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + within
        while True:
            have = await conn.fetchval(
                "SELECT count(*) FROM jobs.jobs WHERE tenant_id = ANY($1::text[])", list(TENANTS)
            )
            if have >= expected:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {have} of {expected} demo jobs applied in {within}s")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def defer_some(dsn: str, api_url: str) -> int:
    """Defer a few jobs through the API, as an operator would (commission disputes)."""
    conn = await asyncpg.connect(dsn)
    try:
        deferred = 0
        for tenant in TENANTS:
            token = await issue_token(conn, tenant, "operator", "demo loader")
            async with httpx.AsyncClient(
                base_url=api_url, headers={"Authorization": f"Bearer {token}"}
            ) as api:
                for j in range(4, JOBS_PER_TENANT, 25):
                    if "job.canceled" in JOURNEYS[j % len(JOURNEYS)]:
                        continue  # a canceled job earns no commission to hold back
                    job = uid(tenant, "job", j)
                    answer = await api.post(
                        f"/v1/jobs/{job}/defer",
                        json={"reason": "Customer disputes the work; commission on hold"},
                        # The same key on every load: a second load replays, changes nothing.
                        headers={"Idempotency-Key": f"demo-defer-{job}"},
                    )
                    answer.raise_for_status()
                    deferred += 1
            await conn.execute(
                "UPDATE jobs.api_tokens SET revoked_at = now() WHERE label = 'demo loader'"
            )
        return deferred
    finally:
        await conn.close()


async def main() -> int:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    dsn = os.environ.get(
        "DATABASE_URL", "postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable"
    )
    await provision_tenants(dsn)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=20
    )
    await producer.start()
    try:
        expected, sent = 0, 0
        for tenant in TENANTS:
            loader = Loader(producer, tenant)
            expected += await load_tenant(loader, random.Random(tenant))  # noqa: S311
            sent += loader.sent
        await producer.flush()
    finally:
        await producer.stop()
    print(f"published {sent} demo facts for {len(TENANTS)} tenants")  # noqa: T201
    await wait_applied(dsn, expected)
    api_url = os.environ.get("JOBLINE_API_URL", "http://127.0.0.1:8000")
    deferred = await defer_some(dsn, api_url)
    print(f"{expected} demo jobs are in place, {deferred} of them deferred")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
