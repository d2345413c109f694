"""Commissions: a technician's ledger entries and the payroll statement of a period
(JSON, or CSV by ``Accept: text/csv`` or ``?format=csv``), both read from the ledger
only; and unlinking a recall, which reverses its chargeback."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from jobline_jobs.domain import commands
from jobline_jobs.entrypoints.api import commission_schemas as schemas
from jobline_jobs.entrypoints.api import presenters
from jobline_jobs.entrypoints.api.commanding import Answer, actor, execute, idempotent, now
from jobline_jobs.entrypoints.api.deps import OperatorDep, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.schemas import JobDetail

router = APIRouter(tags=["commissions"])
KINDS = ("earned", "held", "released", "adjusted", "charged_back", "reversed")
From = Annotated[datetime, Query(alias="from", description="Inclusive, with offset")]
To = Annotated[datetime, Query(alias="to", description="Exclusive, with offset")]


def _period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ApiError(422, "invalid_request", "from and to need a time-zone offset")
    if end <= start:
        raise ApiError(422, "invalid_request", "to must be after from")


def _sums(rows: list[dict[str, Any]]) -> schemas.CommissionSums:
    sums = {k: sum((r[k] for r in rows), Decimal("0.00")) for k in (*KINDS, "net")}
    return schemas.CommissionSums(**sums)


@router.get(
    "/v1/technicians/{technician_id}/commissions",
    response_model=schemas.Commissions,
    responses=responses(401, 404, 422),
    tags=["technicians"],
    summary="The technician's commission ledger entries over a period, with totals",
)
async def technician_commissions(
    technician_id: UUID, who: PrincipalDep, rt: RuntimeDep, start: From, end: To
) -> schemas.Commissions:
    _period(start, end)
    if not await rt.commissions.technician_exists(who.tenant_id, technician_id):
        raise not_found("technician")
    entries = await rt.commissions.entries(who.tenant_id, technician_id, start, end)
    zero = Decimal("0.00")
    sums = {k: sum((e["amount"] for e in entries if e["kind"] == k), zero) for k in KINDS}
    totals = schemas.CommissionSums(**sums, net=sum(sums.values(), zero))
    return schemas.Commissions(
        technician_id=technician_id,
        start=start,
        end=end,
        entries=[schemas.CommissionEntry(**e) for e in entries],
        totals=totals,
    )


@router.get(
    "/v1/commissions",
    response_model=schemas.PayrollStatement,
    responses={
        **responses(401, 422),
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
    summary="The payroll statement of a period: each technician's entries by kind, and net",
)
async def payroll_statement(
    request: Request,
    who: PrincipalDep,
    rt: RuntimeDep,
    start: From,
    end: To,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
) -> Response:
    _period(start, end)
    rows = await rt.commissions.statement(who.tenant_id, start, end)
    lines = [schemas.StatementLine(technician_name=r["name"], **r) for r in rows]
    statement = schemas.PayrollStatement(
        start=start, end=end, technicians=lines, totals=_sums(rows)
    )
    wants_csv = format == "csv" or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if wants_csv:
        return Response(_csv(statement), media_type="text/csv; charset=utf-8")
    return JSONResponse(statement.model_dump(mode="json"))


def _csv(statement: schemas.PayrollStatement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["technician_id", "technician_name", *KINDS, "net", "entries"])
    for line in statement.technicians:
        sums = [getattr(line, k) for k in (*KINDS, "net")]
        writer.writerow([line.technician_id, line.technician_name or "", *sums, line.entries])
    total = statement.totals
    count = sum(line.entries for line in statement.technicians)
    writer.writerow(["total", "", *(getattr(total, k) for k in (*KINDS, "net")), count])
    return out.getvalue()


@router.post(
    "/v1/jobs/{job_id}/recall-link/unlink",
    response_model=JobDetail,
    responses=responses(401, 403, 404, 409, 422),
    tags=["job actions"],
    summary="Remove this recall's link to its original (reason required); its chargeback"
    " is reversed",
)
async def unlink_recall(
    job_id: UUID,
    body: schemas.UnlinkRecallRequest,
    request: Request,
    who: OperatorDep,
    rt: RuntimeDep,
) -> JSONResponse:
    async def act() -> Answer:
        unlink = commands.UnlinkRecall(who.tenant_id, now(), job_id, body.reason, actor(who))
        await execute(rt, who, unlink)
        job = await rt.details.job(who.tenant_id, job_id)
        if job is None:
            raise not_found("job")
        return 200, presenters.job_detail(job)

    return await idempotent(request, rt, who, act)
