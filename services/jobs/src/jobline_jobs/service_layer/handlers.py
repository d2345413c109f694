"""One handler per command. Each loads what it needs, asks the domain, and returns;
the message bus owns the transaction."""

from collections.abc import Awaitable, Callable
from typing import Any

from jobline_jobs.domain import commands
from jobline_jobs.domain.errors import Conflict, UnknownJob
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.workflow import DispatchStatus
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
    (await _job(uow, cmd)).complete_work(cmd.completed_at)


async def record_quality_check(cmd: commands.RecordQualityCheck, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).record_quality_check(passed=cmd.passed)


async def invoice_job(cmd: commands.InvoiceJob, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).invoice()


async def record_payment(cmd: commands.RecordPayment, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    if await uow.jobs.has_payment(cmd.tenant_id, cmd.payment_id):
        raise Conflict(f"payment {cmd.payment_id} was recorded already")
    job.record_payment(cmd.payment_id, cmd.amount, cmd.method)


async def cancel_job(cmd: commands.CancelJob, uow: UnitOfWork) -> None:
    (await _job(uow, cmd)).cancel()


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
    commands.InvoiceJob: invoice_job,
    commands.RecordPayment: record_payment,
    commands.CancelJob: cancel_job,
    commands.AddDocument: add_document,
}
