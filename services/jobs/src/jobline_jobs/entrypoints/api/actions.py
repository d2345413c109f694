"""Operator actions on a job: defer, un-defer, subjobs, recall links."""

import uuid
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from jobline_jobs.domain import commands, events
from jobline_jobs.entrypoints.api import presenters, schemas
from jobline_jobs.entrypoints.api.commanding import (
    Answer,
    actor,
    execute,
    idempotent,
    now,
    preview,
)
from jobline_jobs.entrypoints.api.deps import OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import not_found, responses

router = APIRouter(tags=["job actions"])
ACTION_ERRORS = responses(401, 403, 404, 409, 422)


async def _detail(rt: RuntimeDep, tenant_id: str, job_id: UUID) -> schemas.JobDetail:
    job = await rt.details.job(tenant_id, job_id)
    if job is None:
        raise not_found("job")
    return presenters.job_detail(job)


@router.post(
    "/v1/jobs/{job_id}/defer",
    response_model=schemas.JobDetail,
    responses=ACTION_ERRORS,
    summary="Defer the job's commission (reason required)",
)
async def defer(
    job_id: UUID, body: schemas.DeferRequest, request: Request, who: OperatorDep, rt: RuntimeDep
) -> JSONResponse:
    async def act() -> Answer:
        await execute(
            rt, who, commands.DeferJob(who.tenant_id, now(), job_id, body.reason, actor(who))
        )
        return 200, await _detail(rt, who.tenant_id, job_id)

    return await idempotent(request, rt, who, act)


@router.post(
    "/v1/jobs/{job_id}/undefer",
    response_model=schemas.JobDetail,
    responses=ACTION_ERRORS,
    summary="End the deferral; commission is released",
)
async def undefer(job_id: UUID, request: Request, who: OperatorDep, rt: RuntimeDep) -> JSONResponse:
    async def act() -> Answer:
        await execute(rt, who, commands.UndeferJob(who.tenant_id, now(), job_id, actor(who)))
        return 200, await _detail(rt, who.tenant_id, job_id)

    return await idempotent(request, rt, who, act)


async def _schedule(rt: RuntimeDep, tenant_id: str, job_id: UUID) -> schemas.BillingSchedule:
    schedule = await rt.details.billing_schedule(tenant_id, job_id)
    if schedule is None:
        raise not_found("job")
    return presenters.billing_schedule(schedule)


@router.post(
    "/v1/jobs/{job_id}/subjobs",
    response_model=schemas.BillingSchedule,
    status_code=201,
    responses=ACTION_ERRORS,
    summary="Bill a share of the job as a subjob (percent or amount, on a date)",
)
async def create_subjob(
    job_id: UUID, body: schemas.SubjobRequest, request: Request, who: OperatorDep, rt: RuntimeDep
) -> JSONResponse:
    async def act() -> Answer:
        await execute(
            rt,
            who,
            commands.CreateSubjob(
                who.tenant_id,
                now(),
                job_id,
                uuid.uuid4(),
                body.title,
                body.share.percent,
                body.share.amount,
                body.bill_on,
            ),
        )
        return 201, await _schedule(rt, who.tenant_id, job_id)

    return await idempotent(request, rt, who, act)


@router.get(
    "/v1/jobs/{job_id}/subjobs",
    response_model=schemas.BillingSchedule,
    responses=responses(401, 404, 422),
    summary="The job's billing schedule",
)
async def list_subjobs(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> schemas.BillingSchedule:
    return await _schedule(rt, who.tenant_id, job_id)


@router.post(
    "/v1/jobs/{job_id}/recall-link/preview",
    response_model=schemas.RecallPreview,
    responses=ACTION_ERRORS,
    summary="The chargeback linking would record, recording nothing",
)
async def preview_recall_link(
    job_id: UUID, body: schemas.RecallPreviewRequest, who: PrincipalDep, rt: RuntimeDep
) -> schemas.RecallPreview:
    link = commands.LinkRecall(
        who.tenant_id, now(), job_id, body.original_job_id, "preview", uuid.uuid4()
    )
    recorded = await preview(rt, who, link)
    charged = next((e for e in recorded if isinstance(e, events.ChargebackRecorded)), None)
    return schemas.RecallPreview(
        recall_job_id=job_id,
        original_job_id=body.original_job_id,
        chargeback=None
        if charged is None
        else schemas.ChargebackPreview(
            technician_id=charged.technician_id,
            fixing_technician_id=charged.fixing_technician_id,
            normal_charge=charged.normal_charge,
            policy_percent=charged.policy_percent,
            earned_commission=charged.earned_commission,
            amount=charged.amount,
        ),
    )


@router.post(
    "/v1/jobs/{job_id}/recall-link",
    response_model=schemas.RecallLink,
    status_code=201,
    responses=ACTION_ERRORS,
    summary="Tie this recall job to the original job; charge the original back",
)
async def link_recall(
    job_id: UUID,
    body: schemas.RecallLinkRequest,
    request: Request,
    who: OperatorDep,
    rt: RuntimeDep,
) -> JSONResponse:
    async def act() -> Answer:
        chargeback_id = uuid.uuid4()
        await execute(
            rt,
            who,
            commands.LinkRecall(
                who.tenant_id, now(), job_id, body.original_job_id, body.reason, chargeback_id
            ),
        )
        charged = await rt.commissions.chargeback(who.tenant_id, chargeback_id)
        return 201, schemas.RecallLink(
            recall_job_id=job_id,
            original_job_id=body.original_job_id,
            chargeback=schemas.ChargebackView(**charged) if charged else None,
        )

    return await idempotent(request, rt, who, act)
