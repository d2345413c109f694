"""The commission ledger's part of the write path: the entries each fact appends (asked
of the domain, written by the unit of work), and the commands of issue 16's
commissions: reassigning a job's technician, unlinking a recall, adjusting commission."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from jobline_jobs.domain import commands, commissions, events, reassignment
from jobline_jobs.domain.errors import Rejected, UnknownJob
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer.unit_of_work import UnitOfWork


class UnknownTechnician(Rejected):
    """The command names a technician the tenant does not have."""

    kind = "unknown_technician"


async def _job(uow: UnitOfWork, cmd: commands.JobCommand) -> Job:
    job = await uow.jobs.get(cmd.tenant_id, cmd.job_id)
    if job is None:
        raise UnknownJob(f"tenant {cmd.tenant_id} has no job {cmd.job_id}")
    return job


async def _terms(uow: UnitOfWork, job: Job) -> commissions.CommissionTerms:
    crew = {job.technician_id, *(visit.technician_id for visit in job.dispatches.values())}
    return await uow.directory.commission_terms(job.tenant_id, sorted(crew))


# Entries of the facts the other handlers apply (called with the job locked) ------------


def _cause(uow: UnitOfWork, name: str, at: datetime) -> commissions.Cause:
    return commissions.Cause(name, at, uow.causation.message_id)


async def work_completed(uow: UnitOfWork, job: Job, at: datetime) -> None:
    account = await uow.commissions.account(job)
    terms = await _terms(uow, job)
    commissions.earn(account, job, terms, _cause(uow, "job.work_completed", at))


async def deferred(uow: UnitOfWork, job: Job, at: datetime) -> None:
    account = await uow.commissions.account(job)
    commissions.hold(account, _cause(uow, "job.deferred", at))


async def undeferred(uow: UnitOfWork, job: Job, at: datetime) -> None:
    account = await uow.commissions.account(job)
    commissions.release(account, _cause(uow, "job.undeferred", at))


async def total_changed(uow: UnitOfWork, job: Job, cause: str, at: datetime) -> None:
    """The job's total changed (``job.total`` now): adjust the commission earned on it."""
    account = await uow.commissions.account(job)
    terms = await _terms(uow, job)
    commissions.adjust(account, job, terms, job.total, _cause(uow, cause, at))


async def recall_linked(uow: UnitOfWork, original: Job, at: datetime) -> None:
    for event in original.events:
        if isinstance(event, events.ChargebackRecorded):
            account = await uow.commissions.account(original)
            commissions.charge_back(account, event, _cause(uow, "recall.linked", at))


# Commands ----------------------------------------------------------------------------


async def reassign_technician(cmd: commands.ReassignTechnician, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    if not await uow.directory.technician_exists(cmd.tenant_id, cmd.technician_id):
        raise UnknownTechnician(
            f"tenant {cmd.tenant_id} has no technician {cmd.technician_id}:"
            " a job is reassigned only to a known technician"
        )
    reassignment.reassign_technician(job, cmd.technician_id, cmd.reason)


async def unlink_recall(cmd: commands.UnlinkRecall, uow: UnitOfWork) -> None:
    recall = await _job(uow, cmd)
    original_id = reassignment.unlink_recall(recall, cmd.reason, cmd.by)
    original = await _job(uow, replace(cmd, job_id=original_id))
    account = await uow.commissions.account(original)
    why = _cause(uow, "recall.unlinked", cmd.occurred_at)
    commissions.reverse_chargebacks(account, recall.job_id, cmd.reason, why)


async def adjust_commission(cmd: commands.AdjustCommission, uow: UnitOfWork) -> None:
    job = await _job(uow, cmd)
    account = await uow.commissions.account(job)
    terms = await _terms(uow, job)
    commissions.adjust(account, job, terms, cmd.total, _cause(uow, cmd.cause, cmd.at))


HANDLERS: dict[type[commands.Command], Callable[[Any, UnitOfWork], Awaitable[None]]] = {
    commands.ReassignTechnician: reassign_technician,
    commands.UnlinkRecall: unlink_recall,
    commands.AdjustCommission: adjust_commission,
}
