"""Operations endpoints of every jobs process: /healthz and /readyz (``/metrics`` comes
from the observability middleware). A process without the ``api`` role serves only these."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from jobline_infra.observability.asgi import NATIVE_TELEMETRY_OFF

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
router = APIRouter(tags=["operations"])


class Checked(Protocol):
    async def readiness(self) -> dict[str, str]:
        """Each dependency of the process's roles with ``ok`` or what is wrong with it."""
        ...


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Dependencies are reachable")
async def readyz(request: Request) -> JSONResponse:
    runtime: Checked = request.app.state.runtime
    checks = await runtime.readiness()
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def build_app(lifespan: Lifespan) -> FastAPI:
    """The app of a ``consume`` or ``relay`` process: health, readiness, metrics."""
    app = FastAPI(
        title="Jobline jobs (consume, relay)",
        lifespan=lifespan,
        docs_url=None,
        telemetry=NATIVE_TELEMETRY_OFF,
    )
    app.include_router(router)
    return app
