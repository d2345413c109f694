"""Credit notes through the bus, with in-memory fakes: under a tenant's ``credit_note``
convention a change of lines that lowers an issued invoice leaves it as issued and
credits the difference; raises, payments and refunds (and every change under the default
``revised_invoice``) stay revisions."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.credit_notes import Credit, credit_for
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job, line
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit


def fact() -> Causation:
    message_id = uuid4()
    return Causation("test", message_id, "fact", message_id, T0, "upstream")


@pytest.fixture
def world() -> World:
    world = World(tenants={"acme"})
    world.convention = "credit_note"
    return world


@pytest.fixture
def bus(world: World) -> MessageBus:
    return MessageBus(world.uow)


async def issued(bus: MessageBus, *lines: commands.LineItem, tax_rate: str = "0.1") -> UUID:
    """A job of ``lines`` (default 100.00 taxable at 10 %: 110.00) with its invoice issued."""
    cmd = dispatch_job("acme", lines=lines or (line("1", "100.00"),), tax_rate=tax_rate)
    for move in (
        cmd,
        commands.StartJob("acme", T0, cmd.job_id),
        commands.CompleteWork("acme", T0, cmd.job_id, T0),
        commands.RecordQualityCheck("acme", T0, cmd.job_id, passed=True),
        commands.IssueInvoice("acme", T0, cmd.job_id),
    ):
        await bus.handle(move, fact())
    return cmd.job_id


async def change(bus: MessageBus, job_id: UUID, price: str, *, hours: int = 1) -> None:
    at = T0 + timedelta(hours=hours)
    await bus.handle(
        commands.ChangeLines("acme", at, job_id, (line("1", price),), Decimal("0.1")), fact()
    )


def published(world: World, kind: type) -> list:
    return [e for e in world.published if isinstance(e, kind)]


async def test_lowered_lines_credit_the_difference_and_leave_the_invoice_as_issued(world, bus):
    world.time_zone = "Pacific/Honolulu"  # T0 + 12 h is 03:00 UTC on the 27th: the 26th there
    job_id = await issued(bus)
    await change(bus, job_id, "80.00", hours=12)  # 110.00 -> 88.00
    (credited,) = published(world, events.InvoiceCredited)
    assert (credited.credit_note_number, credited.invoice_number) == ("CN-000001", "INV-000001")
    assert (credited.amount, credited.tax) == (Decimal("22.00"), Decimal("2.00"))
    assert credited.issued_on == date(2026, 11, 26)
    assert (credited.previous_billed, credited.billed) == (Decimal("110.00"), Decimal("88.00"))
    assert published(world, events.InvoiceRevised) == []
    invoice = world.invoices[("acme", job_id)]
    assert (invoice.revision, invoice.current.snapshot["total"]) == (1, "110.00")
    assert (invoice.billed, invoice.balance_due) == (Decimal("88.00"), Decimal("88.00"))


async def test_credit_note_numbers_follow_issue_order_and_credit_what_is_billed(world, bus):
    first, second = await issued(bus), await issued(bus)
    await change(bus, second, "50.00")  # 110.00 -> 55.00
    await change(bus, first, "90.00")  # 110.00 -> 99.00
    await change(bus, second, "40.00", hours=2)  # 55.00 -> 44.00: credits 11, not 66
    notes = [
        (e.job_id, e.credit_note_number, e.amount) for e in published(world, events.InvoiceCredited)
    ]
    assert notes == [
        (second, "CN-000001", Decimal("55.00")),
        (first, "CN-000002", Decimal("11.00")),
        (second, "CN-000003", Decimal("11.00")),
    ]
    assert world.invoice_seq == {"acme": 2}  # credit notes take nothing from invoice numbers


async def test_a_raise_is_a_revision_even_under_credit_notes(world, bus):
    job_id = await issued(bus)
    await change(bus, job_id, "120.00")
    (revised,) = published(world, events.InvoiceRevised)
    assert (revised.revision, revised.total, revised.convention) == (
        2,
        Decimal("132.00"),
        "revised_invoice",
    )
    assert published(world, events.InvoiceCredited) == []


async def test_the_default_convention_revises_a_lowered_invoice(world, bus):
    world.convention = "revised_invoice"
    job_id = await issued(bus)
    await change(bus, job_id, "80.00")
    (revised,) = published(world, events.InvoiceRevised)
    assert (revised.revision, revised.previous_total, revised.total) == (2, 110, 88)
    assert published(world, events.InvoiceCredited) == []
    assert world.credit_note_seq == {}


async def test_lines_raised_back_after_a_credit_bill_it_again_in_a_revision(world, bus):
    job_id = await issued(bus)
    await change(bus, job_id, "80.00")  # CN-000001: 22.00 off revision 1
    await change(bus, job_id, "100.00", hours=2)  # the job as the invoice was issued
    (revised,) = published(world, events.InvoiceRevised)
    assert (revised.revision, revised.previous_total, revised.total) == (2, 88, 110)
    invoice = world.invoices[("acme", job_id)]
    assert (invoice.billed, invoice.balance_due) == (Decimal("110.00"), Decimal("110.00"))


async def test_a_credit_that_clears_the_balance_settles_the_invoice(world, bus):
    job_id = await issued(bus)
    pay = commands.RecordPayment("acme", T0, job_id, uuid4(), Decimal("88.00"), "card")
    await bus.handle(pay, fact())  # a payment is a revision: 2, balance 22.00
    await change(bus, job_id, "80.00")
    (credited,) = published(world, events.InvoiceCredited)
    assert (credited.revision, credited.balance_due) == (2, Decimal("0.00"))
    (paid,) = published(world, events.InvoicePaid)
    assert (paid.revision, paid.total, paid.amount_paid) == (2, 88, 88)


async def test_a_revision_after_a_credit_freezes_the_job_with_the_credit_in_it(world, bus):
    job_id = await issued(bus)
    await change(bus, job_id, "80.00")  # CN-000001: 22.00 off revision 1
    pay = commands.RecordPayment("acme", T0, job_id, uuid4(), Decimal("8.00"), "cash")
    await bus.handle(pay, fact())
    (revised,) = published(world, events.InvoiceRevised)
    assert (revised.revision, revised.previous_total, revised.total, revised.balance_due) == (
        2,
        Decimal("88.00"),
        Decimal("88.00"),
        Decimal("80.00"),
    )
    invoice = world.invoices[("acme", job_id)]
    assert (invoice.billed, invoice.balance_due) == (Decimal("88.00"), Decimal("80.00"))


async def test_a_lowered_total_whose_tax_rises_is_a_revision(world, bus):
    job_id = await issued(bus, line("1", "100.00", taxable=False))  # 100.00, no tax
    taxed = commands.ChangeLines("acme", T0, job_id, (line("1", "90.00"),), Decimal("0.1"))
    await bus.handle(taxed, fact())  # 99.00, 9.00 of it tax
    assert published(world, events.InvoiceCredited) == []
    assert [r.total for r in published(world, events.InvoiceRevised)] == [Decimal("99.00")]


def test_the_rule_credits_only_a_lowering_of_lines_under_credit_notes():
    billed, now = (Decimal("110.00"), Decimal("10.00")), (Decimal("88.00"), Decimal("8.00"))
    assert credit_for("credit_note", "job.lines_changed", billed, now) == Credit(
        Decimal("22.00"), Decimal("2.00")
    )
    assert credit_for("revised_invoice", "job.lines_changed", billed, now) is None
    assert credit_for("credit_note", "payment.refunded", billed, now) is None
    assert credit_for("credit_note", "job.lines_changed", now, billed) is None
    assert credit_for("credit_note", "job.lines_changed", billed, billed) is None
