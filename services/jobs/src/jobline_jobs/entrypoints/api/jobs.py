"""The Jobs list and a job's details."""

from datetime import datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from jobline_jobs.entrypoints.api import (
    cursor,
    list_cursor,
    list_page,
    list_schemas,
    presenters,
    schemas,
    timeline_cursor,
)
from jobline_jobs.entrypoints.api.deps import (
    PrincipalDep,
    RuntimeDep,
    bearer_secret,
    caller,
    runtime_of,
)
from jobline_jobs.entrypoints.api.errors import not_found, responses
from jobline_jobs.entrypoints.api.job_csv import csv_chunks
from jobline_jobs.entrypoints.api.list_params import (
    ListFilters,
    ListParams,
    documented,
    list_query,
    page_params,
    page_query,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
COUNT_CAP = 10_000  # counted up to here; beyond, "more than"


def _json(model: BaseModel) -> Response:
    """Serialise once: the hot list routes skip FastAPI's re-validation of their (already
    typed) answer; ``response_model`` still documents them."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.get(
    "",
    response_model=schemas.JobPage,
    responses=responses(401, 422),
    summary="One page of a view of the Jobs list, filtered and sorted",
    openapi_extra={"parameters": documented(ListParams), "security": [{"HTTPBearer": []}]},
)
async def list_jobs(request: Request) -> Response:
    # The hottest route reads its caller and its parameters itself, as ``PrincipalDep`` and
    # ``page_params`` would: FastAPI solving those dependencies took a fifth of what the
    # service adds to the query. ``openapi_extra`` documents both.
    who = await caller(request, bearer_secret(request))
    params = page_params(request)
    query, query_id = page_query(params, who.time_zone)
    rows, more = await runtime_of(request).queries.page(who.tenant_id, who.time_zone, query)
    next_cursor = list_cursor.encode(params.sort, rows[-1], query_id) if more else None
    return Response(list_page.page_json(rows, next_cursor), media_type="application/json")


def direct_routes() -> dict[str, APIRoute]:
    """The routes served past FastAPI's routing (``direct_routes``): the list itself."""
    return {r.path: r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is list_jobs}


@router.get(
    "/export.csv",
    responses={**responses(401, 422), 200: {"content": {"text/csv": {}}}},
    response_class=StreamingResponse,
    summary="Every job of the view, filtered and sorted as the list is, as CSV",
)
async def export_jobs(
    who: PrincipalDep, rt: RuntimeDep, params: Annotated[ListFilters, Query()]
) -> StreamingResponse:
    query = list_query(params, who.time_zone, limit=1)  # the limit is not the export's
    rows = rt.queries.export(who.tenant_id, who.time_zone, query)
    name = (
        f"jobs-{params.view.value}-{datetime.now(ZoneInfo(who.time_zone)).date().isoformat()}.csv"
    )
    return StreamingResponse(
        csv_chunks(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/count",
    response_model=list_schemas.JobCount,
    responses=responses(401, 422),
    summary="How many jobs the view has with this search and these filters",
)
async def count_jobs(
    who: PrincipalDep, rt: RuntimeDep, params: Annotated[ListFilters, Query()]
) -> Response:
    query = list_query(params, who.time_zone, limit=1)
    n = await rt.queries.count(who.tenant_id, who.time_zone, query, COUNT_CAP + 1)
    return _json(list_schemas.JobCount(count=min(n, COUNT_CAP), more=n > COUNT_CAP))


@router.get(
    "/technicians",
    response_model=list_schemas.TechnicianList,
    responses=responses(401),
    summary="The tenant's technicians, by name (the list's technician filter)",
)
async def technicians(who: PrincipalDep, rt: RuntimeDep) -> Response:
    rows = await rt.queries.technicians(who.tenant_id)
    return _json(
        list_schemas.TechnicianList(
            items=[schemas.Party(id=r["technician_id"], name=r["name"]) for r in rows]
        )
    )


@router.get(
    "/views",
    response_model=schemas.ViewCounts,
    responses=responses(401),
    summary="Every view with its live count",
)
async def view_counts(who: PrincipalDep, rt: RuntimeDep) -> Response:
    counts = await rt.queries.counts(who.tenant_id, who.time_zone)
    return _json(
        schemas.ViewCounts(views=[schemas.ViewCount(view=v, count=n) for v, n in counts.items()])
    )


@router.get(
    "/{job_id}",
    response_model=schemas.JobDetail,
    responses=responses(401, 404, 422),
    summary="A job with everything about it and the actions allowed now",
)
async def get_job(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> schemas.JobDetail:
    job = await rt.details.job(who.tenant_id, job_id)
    if job is None:
        raise not_found("job")
    return presenters.job_detail(job)


@router.get(
    "/{job_id}/dispatches",
    response_model=schemas.DispatchList,
    responses=responses(401, 404, 422),
    summary="The job's dispatch records: every visit with its status history",
)
async def job_dispatches(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> schemas.DispatchList:
    visits = await rt.details.dispatches(who.tenant_id, job_id)
    if visits is None:
        raise not_found("job")
    return schemas.DispatchList(items=[presenters.dispatch(v) for v in visits])


@router.get(
    "/{job_id}/timeline",
    response_model=schemas.Timeline,
    responses=responses(401, 404, 422),
    summary="Every fact and action on the job, oldest first, a page at a time",
)
async def job_timeline(
    job_id: UUID,
    who: PrincipalDep,
    rt: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Entries per page")] = 500,
    after: Annotated[str | None, Query(alias="cursor", max_length=500)] = None,
) -> schemas.Timeline:
    query = cursor.fingerprint("timeline", job_id)
    key = timeline_cursor.position(after, query)
    entries = await rt.details.timeline(who.tenant_id, job_id, key, limit)
    if entries is None:
        raise not_found("job")
    return timeline_cursor.page(entries, limit, query)
