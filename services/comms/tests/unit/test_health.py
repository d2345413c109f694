"""Health answers at once; readiness waits for the running service."""

import httpx
import pytest

from jobline_comms.entrypoints.http import build_app

pytestmark = pytest.mark.unit


async def test_health_answers_and_readiness_waits_for_start_up():
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://comms.test") as api:
        assert (await api.get("/healthz")).json() == {"status": "ok"}
        answer = await api.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {"ready": False, "checks": {"service": "starting"}}
