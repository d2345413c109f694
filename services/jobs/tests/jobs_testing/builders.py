"""Small builders for commands, so each test names only what it is about."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from jobline_jobs.domain import commands

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def line(
    quantity: str = "1", unit_price: str = "100.00", *, taxable: bool = True
) -> commands.LineItem:
    return commands.LineItem(uuid4(), None, "Work", Decimal(quantity), Decimal(unit_price), taxable)


def dispatch_job(
    tenant: str = "acme",
    *,
    job_id: UUID | None = None,
    lines: tuple[commands.LineItem, ...] | None = None,
    tax_rate: str = "0",
) -> commands.DispatchJob:
    technician = uuid4()
    return commands.DispatchJob(
        tenant_id=tenant,
        occurred_at=T0,
        job_id=job_id or uuid4(),
        job_number="J-1",
        customer_id=uuid4(),
        property_id=uuid4(),
        technician_id=technician,
        summary="Fix the boiler",
        scheduled_start=T0,
        scheduled_end=T0 + timedelta(hours=2),
        currency="USD",
        tax_rate=Decimal(tax_rate),
        line_items=lines if lines is not None else (line(),),
        first_visit=commands.Visit(uuid4(), technician, T0, T0 + timedelta(hours=1)),
    )
