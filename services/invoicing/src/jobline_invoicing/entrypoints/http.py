"""The HTTP app of the invoicing service: health and readiness."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from jobline_infra.observability.asgi import NATIVE_TELEMETRY_OFF

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class Runtime(Protocol):
    """What the HTTP app needs from the running service."""

    async def readiness(self) -> dict[str, str]: ...


def build_app(lifespan: Lifespan | None = None) -> FastAPI:
    app = FastAPI(
        title="Jobline invoicing",
        version="0.1.0",
        lifespan=lifespan,
        telemetry=NATIVE_TELEMETRY_OFF,
    )

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Kafka reachable, partitions assigned")
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime | None = getattr(request.app.state, "runtime", None)
        checks = await runtime.readiness() if runtime else {"service": "starting"}
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return app
