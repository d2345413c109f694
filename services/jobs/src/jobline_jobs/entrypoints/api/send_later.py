"""Calling off a scheduled communication before it leaves (issue 18)."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from jobline_jobs.domain import commands
from jobline_jobs.entrypoints.api.commanding import Answer, actor, execute, idempotent, now
from jobline_jobs.entrypoints.api.communications import Communication, present
from jobline_jobs.entrypoints.api.deps import OperatorDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import not_found, responses

router = APIRouter(tags=["communications"])


@router.post(
    "/v1/jobs/{job_id}/communications/{communication_id}/cancel",
    response_model=Communication,
    responses=responses(401, 403, 404, 409, 422),
    summary="Call off a scheduled communication before it leaves (409 once it has left)",
)
async def cancel(
    job_id: UUID, communication_id: UUID, request: Request, who: OperatorDep, rt: RuntimeDep
) -> JSONResponse:
    async def act() -> Answer:
        command = commands.CancelCommunication(
            who.tenant_id, now(), job_id, communication_id=communication_id, by=actor(who)
        )
        await execute(rt, who, command)
        found = await rt.communications.one(who.tenant_id, communication_id)
        if found is None:
            raise not_found("communication")
        return 200, present(found)

    return await idempotent(request, rt, who, act)
