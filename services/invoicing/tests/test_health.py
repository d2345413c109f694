"""The invoicing service shell answers its health endpoints."""

import httpx
import pytest

from jobline_invoicing.entrypoints.http import build_app

pytestmark = pytest.mark.unit


async def test_health_and_readiness_answer():
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://invoicing.test") as api:
        assert (await api.get("/healthz")).json() == {"status": "ok"}
        assert (await api.get("/readyz")).status_code == 200
