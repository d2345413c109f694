"""One handler per command. Each loads what it needs, asks the domain, and returns;
the message bus owns the transaction."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from jobline_jobs.domain import commands, foreign_references, recalls, staged_billing
from jobline_jobs.domain.errors import Conflict, UnknownJob
from jobline_jobs.domain.events import Business
from jobline_jobs.domain.invoice_email import compose
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.sends import Communication, RenderRequest, invoice_file
from jobline_jobs.domain.templates import invoice_amount
from jobline_jobs.domain.tenant_settings import UpdateTenantSettings
from jobline_jobs.domain.workflow import FINAL_STEPS, DispatchStatus
from jobline_jobs.service_layer import (
    book_handlers,
    engagement_handlers,
    reply_handlers,
    send_later_handlers,
)
from jobline_jobs.service_layer import commission_handlers as ledger
from jobline_jobs.service_layer.settings_handlers import update_tenant_settings
from jobline_jobs.service_layer.unit_of_work import UnitOfWork


async def _job(uow: UnitOfWork, cmd: commands.JobCommand) -> Job:
    job = await uow.jobs.get(cmd.tenant_id, cmd.job_id)
    if job is None:
        raise UnknownJob(f"tenant {cmd.tenant_id} has no job {cmd.job_id}")
    return job


async def upsert_customer(cmd: commands.UpsertCustomer, uow: UnitOfWork) -> None:
    await uow.directory.upsert_customer(cmd)


async def upsert_property(cmd: commands.UpsertProperty, uow: UnitOfWork) -> None:
    await uow.directory.upsert_property(cmd)


async def upsert_technician(cmd: commands.UpsertTechnician, uow: UnitOfWork) -> None:
    await uow.directory.upsert_technician(cmd)


async def dispatch_job(cmd: commands.DispatchJob, uow: UnitOfWork) -> None:
    if await uow.jobs.get(cmd.tenant_id, cmd.job_id) is not None:
        raise Conflict(f"job {cmd.job_id} ({cmd.job_number}) was dispatched already")
    await uow.directory.ensure_parties(cmd)
    if cmd.tax_rate is None:
        uow.jobs.add(Job.dispatch(cmd, await uow.directory.default_tax_rate(cmd.tenant_id)))
    else:
        uow.jobs.add(Job.dispatch(cmd))


async def assign_dispatch(cmd: commands.AssignDispatch, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).assign_dispatch(cmd.visit)


async def change_dispatch_status(cmd: commands.ChangeDispatchStatus, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).change_dispatch_status(cmd.dispatch_id, DispatchStatus(cmd.status))


async def reschedule_job(cmd: commands.RescheduleJob, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).reschedule(cmd.scheduled_start, cmd.scheduled_end)


async def start_job(cmd: commands.StartJob, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).start()


async def complete_work(cmd: commands.CompleteWork, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    job.complete_work(cmd.completed_at)
    await ledger.work_completed(uow, job, cmd.completed_at)


async def record_quality_check(cmd: commands.RecordQualityCheck, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).record_quality_check(passed=cmd.passed, notes=cmd.notes)


async def record_payment(cmd: commands.RecordPayment, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    if await uow.jobs.has_payment(cmd.tenant_id, cmd.payment_id):
        raise Conflict(f"payment {cmd.payment_id} was recorded already")
    job.record_payment(cmd.payment_id, cmd.amount, cmd.method)
    await book_handlers.revise_invoice(uow, job, "payment.recorded", cmd.occurred_at)


async def cancel_job(cmd: commands.CancelJob, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    job.cancel(cmd.reason)
    # Its stages not billed yet would bill work that is not done: they go with it. A
    # stage whose invoice was issued stands until it is voided or paid.
    for share in job.subjob_shares:
        subjob = await uow.jobs.get(cmd.tenant_id, share.job_id)
        if subjob is None or subjob.step in FINAL_STEPS:
            continue
        if await uow.invoices.get(cmd.tenant_id, share.job_id) is None:
            subjob.cancel(f"its parent {job.job_number} was canceled: {cmd.reason}")


async def add_document(cmd: commands.AddDocument, uow: UnitOfWork) -> None:
    job = None
    if cmd.job_id is not None:
        job = await uow.jobs.get(cmd.tenant_id, cmd.job_id)
        if job is None:
            raise UnknownJob(f"tenant {cmd.tenant_id} has no job {cmd.job_id}")
    elif cmd.property_id is None or not await uow.directory.property_exists(
        cmd.tenant_id, cmd.property_id
    ):
        raise Conflict(f"tenant {cmd.tenant_id} has no property {cmd.property_id}")
    if not await uow.directory.add_document(cmd):
        raise Conflict(f"document {cmd.document_id} was added already")
    if job is not None:
        job.add_document(cmd.document_id, cmd.kind, cmd.filename)


async def defer_job(cmd: commands.DeferJob, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    job.defer(cmd.reason, cmd.by, cmd.occurred_at)
    await ledger.deferred(uow, job, cmd.occurred_at)


async def undefer_job(cmd: commands.UndeferJob, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    job.undefer(cmd.by)
    await ledger.undeferred(uow, job, cmd.occurred_at)


async def create_subjob(cmd: commands.CreateSubjob, uow: UnitOfWork) -> None:
    # The parent's row lock serialises concurrent requests: they cannot overshoot 100 %.
    parent = await _job(uow, cmd)
    invoice = await uow.invoices.get(cmd.tenant_id, cmd.job_id)
    if invoice is not None and not invoice.voided:  # its money is billed already
        raise Conflict(
            f"job {parent.job_number}'s invoice {invoice.number} is issued: its money is"
            " billed once already; void the invoice before scheduling subjobs"
        )
    number = f"{parent.job_number}-{len(parent.subjob_shares) + 1}"
    time_zone = await uow.directory.time_zone(cmd.tenant_id)
    uow.jobs.add(staged_billing.schedule_subjob(parent, cmd, number, time_zone))


async def link_recall(cmd: commands.LinkRecall, uow: UnitOfWork) -> None:
    # Lock both jobs in id order, so two opposite links cannot deadlock.
    ids = sorted({cmd.job_id, cmd.original_job_id})
    loaded = {i: await _job(uow, replace(cmd, job_id=i)) for i in ids}
    recall, original = loaded[cmd.job_id], loaded[cmd.original_job_id]
    commission_rate, _ = await uow.directory.technician_terms(cmd.tenant_id, original.technician_id)
    _, rate_card = await uow.directory.technician_terms(cmd.tenant_id, recall.technician_id)
    terms = recalls.ChargebackTerms(
        fixing_rate_card=rate_card,
        policy_percent=await uow.directory.chargeback_percent(cmd.tenant_id),
        original_commission_rate=commission_rate,
    )
    recalls.link_recall(
        recall,
        original,
        reason=cmd.reason,
        chargeback_id=cmd.chargeback_id,
        originals_of_original=await uow.jobs.originals_of(cmd.tenant_id, original.job_id),
        terms=terms,
    )
    await ledger.recall_linked(uow, original, cmd.occurred_at)


async def record_invoice_render(cmd: commands.RecordInvoiceRender, uow: UnitOfWork) -> None:
    if not await uow.invoice_renders.record(cmd):
        raise foreign_references.foreign_render(cmd.job_id, cmd.snapshot_sha256)


async def record_delivery_status(cmd: commands.RecordDeliveryStatus, uow: UnitOfWork) -> None:
    delivery = await uow.deliveries.get(cmd.tenant_id, cmd.delivery_id)
    if delivery is None:
        raise foreign_references.foreign_delivery(cmd.delivery_id)
    delivery.report(cmd.status, cmd.error_code, cmd.error_message, cmd.occurred_at)


async def record_opt_out(cmd: commands.RecordOptOut, uow: UnitOfWork) -> None:
    answered = await uow.deliveries.text_answered_by(cmd) if cmd.opted_out else None
    await uow.deliveries.record_opt_out(cmd)
    if answered is not None:  # the job of the text it answered hears of it (issue 19)
        answered.answered_by_opt_out(cmd.keyword)


async def send_communication(cmd: commands.SendCommunication, uow: UnitOfWork) -> None:
    # The job's row lock orders this send's event after the job's earlier ones.
    job = await _job(uow, cmd)
    sends = uow.communications
    files = await sends.files(cmd.tenant_id, cmd.job_id)
    if cmd.invoice is not None:
        files[("invoice", cmd.job_id)] = invoice_file(cmd.job_id, cmd.invoice)
    communication = Communication.request(
        cmd,
        job_number=job.job_number,
        requested_by=uow.causation.actor,
        contacts=await sends.contacts(cmd.tenant_id, job.customer_id, job.property_id),
        opted_out=await sends.opted_out(cmd.tenant_id),
        files=files,
        sender=await uow.directory.business(cmd.tenant_id),
    )
    sends.add(communication)


async def send_invoice(cmd: commands.SendInvoice, uow: UnitOfWork) -> None:
    job, number = await _job(uow, cmd), cmd.invoice.number
    business = await uow.directory.business(cmd.tenant_id)
    due = job.total - job.amount_paid
    subject, body = compose(
        await uow.directory.invoice_email(cmd.tenant_id),
        {
            "invoice_number": number,
            "job_number": job.job_number,
            "business_name": business.name,
            "amount_due": invoice_amount(due, job.currency),
        },
    )
    email = commands.SendCommunication(
        cmd.tenant_id,
        cmd.occurred_at,
        cmd.job_id,
        communication_id=cmd.communication_id,
        channel="email",
        recipient_ids=cmd.recipient_ids,
        body=cmd.message or body,
        subject=subject,
        attachments=(("invoice", cmd.job_id),),
        send_at=cmd.occurred_at,
        invoice=cmd.invoice,
    )
    await send_communication(email, uow)


async def request_invoice_render(cmd: commands.RequestInvoiceRender, uow: UnitOfWork) -> None:
    renders = uow.invoice_renders
    if await renders.requested(cmd.tenant_id, cmd.job_id, cmd.snapshot_sha256):
        raise Conflict(f"a render of snapshot {cmd.snapshot_sha256} was asked for already")
    renders.add(RenderRequest.of(cmd))


async def release_due_communications(
    cmd: commands.ReleaseDueCommunications, uow: UnitOfWork
) -> None:
    senders: dict[str, Business] = {}
    for communication in await uow.communications.due(cmd.limit, cmd.occurred_at):
        tenant = communication.tenant_id
        if tenant not in senders:
            senders[tenant] = await uow.directory.business(tenant)
        communication.release(senders[tenant])


async def release_due_subjobs(cmd: commands.ReleaseDueSubjobs, uow: UnitOfWork) -> None:
    for subjob in await uow.jobs.due_subjobs(cmd.occurred_at, cmd.limit):
        staged_billing.become_billable(subjob)


Handler = Callable[[Any, UnitOfWork], Awaitable[None]]

HANDLERS: dict[type[commands.Command], Handler] = {
    commands.UpsertCustomer: upsert_customer,
    commands.UpsertProperty: upsert_property,
    commands.UpsertTechnician: upsert_technician,
    commands.DispatchJob: dispatch_job,
    commands.AssignDispatch: assign_dispatch,
    commands.ChangeDispatchStatus: change_dispatch_status,
    commands.RescheduleJob: reschedule_job,
    commands.StartJob: start_job,
    commands.CompleteWork: complete_work,
    commands.RecordQualityCheck: record_quality_check,
    commands.RecordPayment: record_payment,
    commands.CancelJob: cancel_job,
    commands.AddDocument: add_document,
    commands.DeferJob: defer_job,
    commands.UndeferJob: undefer_job,
    commands.CreateSubjob: create_subjob,
    commands.LinkRecall: link_recall,
    commands.RecordInvoiceRender: record_invoice_render,
    commands.RecordDeliveryStatus: record_delivery_status,
    commands.RecordOptOut: record_opt_out,
    commands.SendCommunication: send_communication,
    commands.SendInvoice: send_invoice,
    commands.RequestInvoiceRender: request_invoice_render,
    commands.ReleaseDueCommunications: release_due_communications,
    # issue 16, staged billing
    commands.ReleaseDueSubjobs: release_due_subjobs,
    # issue 16, tenant settings
    UpdateTenantSettings: update_tenant_settings,
    # issue 16: the books
    commands.IssueInvoice: book_handlers.issue_invoice,
    commands.ChangeLines: book_handlers.change_lines,
    commands.RefundPayment: book_handlers.refund_payment,
    commands.VoidInvoice: book_handlers.void_invoice,
    # issue 16, commissions
    **ledger.HANDLERS,
    # issue 18: send later and templates
    **send_later_handlers.HANDLERS,
    # issue 20: replies
    **reply_handlers.HANDLERS,
    # issue 20: email opens and deferrals
    **engagement_handlers.HANDLERS,
}
