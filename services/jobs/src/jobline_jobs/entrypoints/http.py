"""The HTTP API of the jobs service."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class Runtime(Protocol):
    """What the HTTP layer needs from the running service."""

    async def readiness(self) -> dict[str, str]:
        """Each dependency with ``ok`` or what is wrong with it."""
        ...


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_app(lifespan: Lifespan) -> FastAPI:
    app = FastAPI(
        title="Jobline jobs API",
        version="0.1.0",
        lifespan=lifespan,
    )

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Dependencies are reachable")
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        checks = await runtime.readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return app
