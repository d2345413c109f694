"""The list route reads its query string with pydantic directly (``page_params``), not
through FastAPI's query-model reader; these pin it to what FastAPI's own reading of
``Annotated[ListParams, Query()]`` answers and documents, so the fast path cannot drift."""

from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import Request

from jobline_jobs.entrypoints.api.list_params import ListParams, documented, page_params

pytestmark = pytest.mark.unit

QUERIES = [
    "",
    "view=paid&sort=balance&order=desc&limit=7&balance_due=true",
    "technician_id=8f14e45f-ceea-467a-9575-6e9d4d8d8c4e&scheduled_from=2026-12-01",
    "q=&limit=50",
    "limit=3&limit=9",  # a repeated parameter: its last value
    "limit=0",
    "limit=abc&sort=nonsense",
    "view=everything",
    "scheduled_from=2026-13-40",
    "colour=red",  # not a parameter of the list
    "q=" + "x" * 101,
]


def _apps() -> tuple[FastAPI, FastAPI]:
    """The same route read both ways; each answers the parameters or the errors."""
    apps = (FastAPI(), FastAPI())

    async def validation(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{k: e[k] for k in ("loc", "msg", "type")} for e in error.errors()]
        return JSONResponse(errors, 422)

    @apps[0].get("/list")
    async def by_fastapi(params: Annotated[ListParams, Query()]) -> dict[str, Any]:
        return params.model_dump(mode="json")

    @apps[1].get("/list", openapi_extra={"parameters": documented(ListParams)})
    async def by_pydantic(params: Annotated[ListParams, Depends(page_params)]) -> dict[str, Any]:
        return params.model_dump(mode="json")

    for app in apps:
        app.add_exception_handler(RequestValidationError, validation)  # type: ignore[arg-type]
    return apps


async def _get(app: FastAPI, query: str) -> tuple[int, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
        answer = await api.get(f"/list?{query}")
    return answer.status_code, answer.json()


@pytest.mark.parametrize("query", QUERIES)
async def test_the_fast_reader_answers_as_fastapis_own(query):
    fastapi_reads, pydantic_reads = _apps()
    assert await _get(pydantic_reads, query) == await _get(fastapi_reads, query)


def test_the_parameters_are_documented_as_fastapi_documents_them():
    fastapi_reads, pydantic_reads = _apps()
    documents = [app.openapi() for app in (fastapi_reads, pydantic_reads)]
    first, second = (d["paths"]["/list"]["get"]["parameters"] for d in documents)
    assert [p["name"] for p in second] == list(ListParams.model_fields)
    assert second == first
