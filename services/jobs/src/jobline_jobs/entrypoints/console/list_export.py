"""The list's "Export CSV": the API's own export, as the signed-in operator. It is
called directly rather than through the in-process client, which would hold the whole
answer in memory before passing it on; the stream is the API's, row by row."""

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import ValidationError

from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError
from jobline_jobs.entrypoints.api.jobs import export_jobs
from jobline_jobs.entrypoints.api.list_params import ListFilters
from jobline_jobs.entrypoints.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)


@router.get("/console/jobs/export.csv")
async def export_csv(request: Request, c: ConsoleDep, rt: RuntimeDep) -> Response:
    try:
        filters = ListFilters.model_validate(dict(request.query_params))
        return await export_jobs(c.who, rt, filters)
    except (ValidationError, ApiError):
        return PlainTextResponse(
            "These filters cannot be exported: go back to the list and check them.", 422
        )
