"""The invoicing service shell answers its health endpoints."""

import pytest
from fastapi.testclient import TestClient

from jobline_invoicing.entrypoints.http import build_app

pytestmark = pytest.mark.unit


def test_health_and_readiness_answer():
    client = TestClient(build_app())
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
