"""HTTP of the invoicing service: health now; render metrics next."""

from fastapi import FastAPI


def build_app() -> FastAPI:
    app = FastAPI(title="Jobline invoicing", version="0.1.0")

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Ready to work")
    async def readyz() -> dict[str, object]:
        # The shell has no dependencies yet; the Kafka consumer brings its own checks.
        return {"ready": True, "checks": {}}

    return app
