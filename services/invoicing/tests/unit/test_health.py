"""Health and readiness: alive at once, ready only when the runtime says so."""

import httpx
import pytest

from jobline_invoicing.entrypoints.http import build_app

pytestmark = pytest.mark.unit


class FakeRuntime:
    def __init__(self, checks: dict[str, str]) -> None:
        self.checks = checks

    async def readiness(self) -> dict[str, str]:
        return self.checks


async def answers(app, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://invoicing.test") as api:
        return await api.get(path)


async def test_alive_before_the_runtime_but_not_ready():
    app = build_app()
    assert (await answers(app, "/healthz")).json() == {"status": "ok"}
    assert (await answers(app, "/readyz")).status_code == 503


async def test_ready_when_every_check_passes():
    app = build_app()
    app.state.runtime = FakeRuntime({"kafka": "ok", "consumer": "ok"})
    ready = await answers(app, "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"kafka": "ok", "consumer": "ok"}}
    app.state.runtime = FakeRuntime({"kafka": "ok", "consumer": "no partitions assigned yet"})
    assert (await answers(app, "/readyz")).status_code == 503
