"""Twilio's callbacks: signatures checked with the SDK's validator, forged ones refused."""

import uuid
from dataclasses import dataclass

import httpx
import pytest
from twilio.request_validator import RequestValidator

from jobline_comms.domain.commands import SendSms
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.entrypoints.http import build_app
from jobline_comms.service_layer.handlers import Services

pytestmark = pytest.mark.unit
TOKEN = "test-token"  # noqa: S105 - a test token for signing
BASE = "http://comms.public:8001"


@dataclass
class FakeRuntime:
    services: Services
    status_callback_url: str = f"{BASE}/v1/twilio/status"
    inbound_url: str = f"{BASE}/v1/twilio/inbound"

    def signature_ok(self, url, params, signature):
        return bool(signature) and RequestValidator(TOKEN).validate(url, dict(params), signature)

    async def readiness(self):
        return {"database": "ok"}


@pytest.fixture
async def api(services):
    app = build_app()
    app.state.runtime = FakeRuntime(services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://comms.test") as client:
        yield client


def signed(url: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, params)}


async def claimed(store, services) -> uuid.UUID:
    cmd = SendSms(uuid.uuid4(), uuid.uuid4(), "acme", "+15555550101", "On our way")
    picked = store.pick(cmd)
    picked.delivery.claim()
    assert await services.attempts.claim(picked.delivery)
    return cmd.delivery_id


async def test_a_signed_status_callback_moves_the_delivery(api, services, store):
    delivery_id = await claimed(store, services)
    url = f"{BASE}/v1/twilio/status?delivery_id={delivery_id}"
    form = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+15555550101"}
    answer = await api.post(
        f"/v1/twilio/status?delivery_id={delivery_id}", data=form, headers=signed(url, form)
    )
    assert answer.status_code == 204
    assert store.deliveries[delivery_id].status is DeliveryStatus.DELIVERED


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": "forged"}])
async def test_a_forged_status_callback_is_refused(api, services, store, headers):
    delivery_id = await claimed(store, services)
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    answer = await api.post(
        f"/v1/twilio/status?delivery_id={delivery_id}", data=form, headers=headers
    )
    assert answer.status_code == 403
    assert store.deliveries[delivery_id].status is DeliveryStatus.CLAIMED


async def test_a_signature_for_other_parameters_is_refused(api):
    url = f"{BASE}/v1/twilio/inbound"
    form = {"From": "+15555550101", "To": "+15005551111", "Body": "STOP"}
    headers = signed(url, {**form, "Body": "hello"})
    assert (await api.post("/v1/twilio/inbound", data=form, headers=headers)).status_code == 403


async def test_an_inbound_stop_opts_out_and_answers_empty_twiml(api, store):
    url = f"{BASE}/v1/twilio/inbound"
    form = {"MessageSid": "SM1", "From": "+15555550101", "To": "+15005551111", "Body": "STOP"}
    answer = await api.post("/v1/twilio/inbound", data=form, headers=signed(url, form))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    assert answer.text.endswith("<Response/>")
    assert store.opt_outs["acme", "+15555550101"] is True


async def test_a_replayed_signed_start_after_a_stop_leaves_the_phone_opted_out(api, store):
    url = f"{BASE}/v1/twilio/inbound"
    start = {"MessageSid": "SM1", "From": "+15555550101", "To": "+15005551111", "Body": "START"}
    stop = {**start, "MessageSid": "SM2", "Body": "STOP"}
    for form in (start, stop, start):
        answer = await api.post("/v1/twilio/inbound", data=form, headers=signed(url, form))
        assert answer.status_code == 200
    assert store.opt_outs["acme", "+15555550101"] is True
