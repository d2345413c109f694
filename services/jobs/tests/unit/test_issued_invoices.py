"""Issued invoices through the bus, with in-memory fakes: issued by a fact or an action
(never by a read), numbered in issue order, revised when the job's money changes, voided
for good; refunds and the refusals that change nothing."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.errors import Conflict, InvalidRequest
from jobline_jobs.domain.workflow import Step
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.unit_of_work import Causation
from jobs_testing.builders import T0, dispatch_job, line
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit


def fact(kind: str = "fact") -> Causation:
    message_id = uuid4()
    return Causation("test", message_id, kind, message_id, T0, "upstream")


@pytest.fixture
def world() -> World:
    return World(tenants={"acme", "harbour"})


@pytest.fixture
def bus(world: World) -> MessageBus:
    return MessageBus(world.uow)


async def awaiting_billing(bus: MessageBus, tenant: str = "acme", **kwargs: object) -> UUID:
    cmd = dispatch_job(tenant, **kwargs)  # type: ignore[arg-type]
    moves = [
        cmd,
        commands.StartJob(tenant, T0, cmd.job_id),
        commands.CompleteWork(tenant, T0, cmd.job_id, T0),
        commands.RecordQualityCheck(tenant, T0, cmd.job_id, passed=True, notes="photos fine"),
    ]
    for move in moves:
        assert await bus.handle(move, fact()) is Outcome.APPLIED
    return cmd.job_id


def published(world: World, kind: type) -> list:
    return [e for e in world.published if isinstance(e, kind)]


async def test_job_invoiced_dates_the_invoice_exactly_as_upstream_did(world, bus):
    job_id = await awaiting_billing(bus)
    issued, due = date(2026, 10, 1), date(2026, 10, 15)
    await bus.handle(commands.IssueInvoice("acme", T0, job_id, issued, due), fact())
    (invoice,) = published(world, events.InvoiceIssued)
    assert (invoice.issued_on, invoice.due_on) == (issued, due)
    assert invoice.invoice_number == "INV-000001"
    assert world.jobs[("acme", job_id)].step is Step.AWAITING_PAYMENT
    assert invoice.snapshot["issued_on"] == "2026-10-01"


async def test_without_dates_it_is_the_tenants_day_plus_its_terms(world, bus):
    world.time_zone = "Pacific/Honolulu"  # 03:00 UTC on the 27th is still the 26th there
    job_id = await awaiting_billing(bus)
    late = T0 + timedelta(hours=12)
    await bus.handle(commands.IssueInvoice("acme", late, job_id), fact())
    (invoice,) = published(world, events.InvoiceIssued)
    assert (invoice.issued_on, invoice.due_on) == (date(2026, 11, 26), date(2026, 12, 26))


async def test_numbers_follow_issue_order_per_tenant(world, bus):
    tenants = ("acme", "harbour", "acme", "acme")
    jobs = [await awaiting_billing(bus, t) for t in tenants]
    for job_id, tenant in reversed(list(zip(jobs, tenants, strict=True))):
        await bus.handle(commands.IssueInvoice(tenant, T0, job_id), fact())
    numbers = {e.job_id: e.invoice_number for e in published(world, events.InvoiceIssued)}
    assert [numbers[j] for j in reversed(jobs)] == [
        "INV-000001",
        "INV-000002",
        "INV-000001",
        "INV-000003",
    ]


async def test_upstreams_number_is_kept_and_takes_no_number_from_the_counter(world, bus):
    job_id = await awaiting_billing(bus)
    await bus.handle(commands.IssueInvoice("acme", T0, job_id, number="UP-77"), fact())
    assert published(world, events.InvoiceIssued)[0].invoice_number == "UP-77"
    assert world.invoice_seq == {}


async def test_issuing_twice_is_refused_and_changes_nothing(world, bus):
    job_id = await awaiting_billing(bus)
    await bus.handle(commands.IssueInvoice("acme", T0, job_id), fact())
    with pytest.raises(Conflict, match="issued already"):
        await bus.execute(commands.IssueInvoice("acme", T0, job_id, by="operator:x"), fact())
    assert len(published(world, events.InvoiceIssued)) == 1
    assert world.invoice_seq == {"acme": 1}


async def test_lines_changed_after_issue_revise_the_invoice(world, bus):
    job_id = await awaiting_billing(bus, lines=(line("1", "100.00"),), tax_rate="0.1")
    await bus.handle(commands.IssueInvoice("acme", T0, job_id), fact())
    new_lines = (line("1", "100.00"), line("2", "25.00"))
    later = T0 + timedelta(hours=1)
    await bus.handle(commands.ChangeLines("acme", later, job_id, new_lines, Decimal("0.1")), fact())
    (changed,) = published(world, events.LinesChanged)
    assert (changed.previous_total, changed.total, changed.at) == (
        Decimal("110.00"),
        Decimal("165.00"),
        later,
    )
    (revised,) = published(world, events.InvoiceRevised)
    assert (revised.revision, revised.cause, revised.total) == (2, "job.lines_changed", 165)
    assert revised.invoice_number == "INV-000001"
    assert revised.snapshot["total"] == "165.00"
    assert len(revised.snapshot["lines"]) == 2


async def test_a_voided_invoice_is_final(world, bus):
    job_id = await awaiting_billing(bus)
    await bus.handle(commands.IssueInvoice("acme", T0, job_id), fact())
    await bus.handle(commands.VoidInvoice("acme", T0, job_id, "issued in error"), fact())
    changed = commands.ChangeLines("acme", T0, job_id, (line("3"),), Decimal(0))
    with pytest.raises(Conflict, match="voided, and voiding is final"):
        await bus.execute(changed, fact())
    with pytest.raises(Conflict, match="voided already"):
        await bus.execute(commands.VoidInvoice("acme", T0, job_id, "again"), fact())
    assert published(world, events.LinesChanged) == []
    assert world.jobs[("acme", job_id)].total == Decimal("100.00")


async def test_payment_then_refund_revise_and_settle_the_invoice(world, bus):
    job_id = await awaiting_billing(bus)
    await bus.handle(commands.IssueInvoice("acme", T0, job_id), fact())
    payment = uuid4()
    pay = commands.RecordPayment("acme", T0, job_id, payment, Decimal("100.00"), "cash")
    await bus.handle(pay, fact())
    assert [p.revision for p in published(world, events.InvoicePaid)] == [2]
    world.refundable[payment] = (job_id, Decimal("100.00"))
    refund = commands.RefundPayment("acme", T0, job_id, payment, uuid4(), Decimal("30.00"))
    await bus.handle(refund, fact())
    job = world.jobs[("acme", job_id)]
    assert (job.amount_paid, job.step) == (Decimal("70.00"), Step.AWAITING_PAYMENT)
    revisions = [
        (r.revision, r.cause, r.balance_due) for r in published(world, events.InvoiceRevised)
    ]
    assert revisions == [(2, "payment.recorded", 0), (3, "payment.refunded", 30)]


async def test_a_refund_larger_than_its_payment_or_of_no_payment_is_refused(world, bus):
    job_id = await awaiting_billing(bus)
    payment = uuid4()
    world.refundable[payment] = (job_id, Decimal("20.00"))
    too_much = commands.RefundPayment("acme", T0, job_id, payment, uuid4(), Decimal("20.01"))
    with pytest.raises(InvalidRequest, match="cannot exceed its payment"):
        await bus.execute(too_much, fact())
    with pytest.raises(InvalidRequest, match="only a recorded payment can be refunded"):
        await bus.execute(replace(too_much, payment_id=uuid4()), fact())
    assert published(world, events.PaymentRefunded) == []


async def test_a_parent_its_subjobs_bill_whole_is_not_invoiceable(world, bus):
    parent = await awaiting_billing(bus, lines=(line("1", "1000.00"),))
    for percent in ("20", "80"):
        share = commands.CreateSubjob(
            "acme", T0, parent, uuid4(), "Stage", Decimal(percent), None, date(2026, 12, 1)
        )
        await bus.execute(share, fact())
    with pytest.raises(Conflict, match="fully scheduled into subjobs: bill the subjobs"):
        await bus.execute(commands.IssueInvoice("acme", T0, parent), fact())
    assert published(world, events.InvoiceIssued) == []


async def test_a_partly_scheduled_parent_is_invoiced_for_the_rest(world, bus):
    parent = await awaiting_billing(bus, lines=(line("1", "1000.00"),))
    share = commands.CreateSubjob(
        "acme", T0, parent, uuid4(), "Deposit", Decimal("30"), None, date(2026, 12, 1)
    )
    await bus.execute(share, fact())
    await bus.handle(commands.IssueInvoice("acme", T0, parent), fact())
    (invoice,) = published(world, events.InvoiceIssued)
    assert (invoice.total, invoice.snapshot["total"]) == (Decimal("700.00"), "700.00")


async def test_cancel_reasons_and_check_notes_travel_on_the_step_change(world, bus):
    job_id = await awaiting_billing(bus)
    await bus.handle(commands.CancelJob("acme", T0, job_id, "customer moved"), fact())
    steps = published(world, events.StepChanged)
    assert steps[-2].notes == "photos fine"
    assert steps[-1].reason == "customer moved"
