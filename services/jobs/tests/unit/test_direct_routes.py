"""The lane that serves the Jobs list past FastAPI's routing answers exactly as FastAPI
would: the same bodies, statuses and headers for answers and for every kind of error, the
route named in metrics, and every other method or path left to FastAPI."""

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from jobline_infra.observability.asgi import ObservabilityMiddleware
from jobline_jobs.entrypoints.api import errors
from jobline_jobs.entrypoints.api.direct_routes import DirectRoutes

pytestmark = pytest.mark.unit

seen: list[Any] = []
solved: list[str] = []


async def _dependency(request: Request) -> None:
    solved.append(request.method)


router = APIRouter(prefix="/v1/things", dependencies=[Depends(_dependency)])


@router.get("")
async def things(request: Request) -> Response:
    seen.append(request.scope.get("route"))
    match request.query_params.get("case"):
        case "unauthenticated":
            raise errors.ApiError(401, "unauthenticated", "send an API token")
        case "limited":
            raise errors.ApiError(429, "rate_limited", "slow down", headers={"Retry-After": "3"})
        case "invalid":
            raise RequestValidationError([{"loc": ("query", "limit"), "msg": "too big"}])
        case "broken":
            raise RuntimeError("a bug")
    return Response(b'{"items":[]}', media_type="application/json")


@router.post("")
async def make_thing() -> dict[str, str]:
    return {"made": "by FastAPI"}


def _app(*, lane: bool) -> FastAPI:
    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    if lane:
        gets = {r.path: r for r in router.routes if isinstance(r, APIRoute) and "GET" in r.methods}
        app.add_middleware(DirectRoutes, fastapi=app, routes=gets)
    app.add_middleware(ObservabilityMiddleware)
    return app


async def _answers(app: FastAPI) -> list[tuple[int, dict[str, str], bytes]]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = [
            await client.get("/v1/things", params={"case": case})
            for case in ("ok", "unauthenticated", "limited", "invalid", "broken")
        ]
        answers.append(await client.post("/v1/things"))
    return [(a.status_code, _but_the_request_id(a.headers), a.content) for a in answers]


def _but_the_request_id(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "x-request-id"}


async def test_the_lane_answers_as_fastapi_does_for_every_outcome():
    through_fastapi = await _answers(_app(lane=False))
    assert solved == ["GET"] * 5 + ["POST"]
    seen.clear()
    solved.clear()
    through_lane = await _answers(_app(lane=True))
    assert through_lane == through_fastapi
    assert solved == ["POST"]  # the GETs went past FastAPI's routing and dependencies
    assert [s for s, _, _ in through_lane] == [200, 401, 429, 422, 500, 200]
    assert through_lane[-1][2] == b'{"made":"by FastAPI"}'  # POST is FastAPI's, not the lane's
    # Every GET reached the endpoint with its declared route, as the router sets it.
    assert [getattr(r, "path", None) for r in seen] == ["/v1/things"] * 5
