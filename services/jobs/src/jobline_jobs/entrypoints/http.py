"""The HTTP app of the jobs service: operations endpoints and the v1 API."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from jobline_jobs.entrypoints import console
from jobline_jobs.entrypoints.api import (
    actions,
    communications,
    documents,
    errors,
    invoices,
    jobs,
)
from jobline_jobs.entrypoints.api.deps import ApiRuntime

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_app(lifespan: Lifespan) -> FastAPI:
    app = FastAPI(
        title="Jobline jobs API",
        version="1.0.0",
        description="The Jobs list and job actions of a field-service back office. Every "
        "call needs `Authorization: Bearer <token>`; a token sees one tenant only.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(jobs.router)
    app.include_router(actions.router)
    app.include_router(documents.router)
    app.include_router(invoices.router)
    app.include_router(communications.router)
    console.install(app)  # the operator console at /, a client of the routes above

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Dependencies are reachable")
    async def readyz(request: Request) -> JSONResponse:
        runtime: ApiRuntime = request.app.state.runtime
        checks = await runtime.readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return app
