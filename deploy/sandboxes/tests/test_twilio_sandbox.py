"""The Twilio sandbox driven by the official SDK, as the comms service drives it."""

import asyncio
import re
import time

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from jobline_sandboxes.twilio_sandbox import magic

pytestmark = pytest.mark.integration

FROM = "+15017122661"
TO = "+15558675310"


async def send(client, to, receiver=None, body="Your technician is on the way"):
    return await client.messages.create_async(
        to=to,
        from_=FROM,
        body=body,
        status_callback=receiver.url if receiver else None,
    )


def assert_signed(callback, auth_token):
    validator = RequestValidator(auth_token)
    assert validator.validate(callback.url, callback.params, callback.signature)
    assert not RequestValidator("not-the-token").validate(
        callback.url, callback.params, callback.signature
    )


async def test_create_answers_queued_then_signed_callbacks_sent_and_delivered(
    twilio_sandbox, twilio_client, callback_receiver
):
    message = await send(twilio_client, TO, callback_receiver)

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert (message.to, message.from_) == (TO, FROM)
    assert message.body == "Your technician is on the way"
    assert message.num_segments == "1"
    assert message.error_code is None
    assert message.date_created is not None
    assert message.account_sid == twilio_sandbox.settings.account_sid
    assert message.uri.endswith(f"/Messages/{message.sid}.json")

    callbacks = [await callback_receiver.next(), await callback_receiver.next()]
    assert [cb.params["MessageStatus"] for cb in callbacks] == ["sent", "delivered"]
    for callback in callbacks:
        assert_signed(callback, twilio_sandbox.settings.auth_token)
        assert callback.url == callback_receiver.url
        assert callback.params["MessageSid"] == message.sid
        assert callback.params["To"] == TO
        assert callback.params["From"] == FROM
        assert callback.params["AccountSid"] == twilio_sandbox.settings.account_sid
        assert "ErrorCode" not in callback.params

    fetched = await twilio_client.messages(message.sid).fetch_async()
    assert fetched.status == "delivered"


async def test_invalid_number_is_refused_with_21211(twilio_client):
    with pytest.raises(TwilioRestException) as refused:
        await send(twilio_client, magic.INVALID_NUMBER)
    assert (refused.value.status, refused.value.code) == (400, 21211)


async def test_opted_out_number_is_refused_with_21610(twilio_client):
    with pytest.raises(TwilioRestException) as refused:
        await send(twilio_client, magic.OPTED_OUT_NUMBER)
    assert (refused.value.status, refused.value.code) == (400, 21610)


async def test_rate_limited_number_answers_429_twice_then_accepts(twilio_client):
    for _ in range(magic.RATE_LIMITED_ATTEMPTS):
        with pytest.raises(TwilioRestException) as refused:
            await send(twilio_client, magic.RATE_LIMITED_NUMBER)
        assert (refused.value.status, refused.value.code) == (429, 20429)

    message = await send(twilio_client, magic.RATE_LIMITED_NUMBER)
    assert message.status == "queued"


async def test_undelivered_number_ends_undelivered_with_30003(
    twilio_sandbox, twilio_client, callback_receiver
):
    message = await send(twilio_client, magic.UNDELIVERED_NUMBER, callback_receiver)
    assert message.status == "queued"

    sent, final = await callback_receiver.next(), await callback_receiver.next()
    assert sent.params["MessageStatus"] == "sent"
    assert final.params["MessageStatus"] == "undelivered"
    assert final.params["ErrorCode"] == "30003"
    assert_signed(final, twilio_sandbox.settings.auth_token)


async def test_wrong_credentials_get_401_with_twilio_error_shape(twilio_sandbox, client_for):
    with pytest.raises(TwilioRestException) as refused:
        await send(client_for("wrong-token"), TO)
    assert (refused.value.status, refused.value.code) == (401, 20003)

    url = f"{twilio_sandbox.base_url}/2010-04-01/Accounts/ACx/Messages.json"
    async with httpx.AsyncClient() as http:
        answer = await http.post(url, data={"To": TO, "From": FROM, "Body": "hi"})
    assert answer.status_code == 401
    assert answer.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


async def test_sandbox_lists_every_create_request_in_order_and_clears(
    twilio_sandbox, twilio_client, callback_receiver
):
    accepted = await send(twilio_client, TO, callback_receiver, body="first")
    with pytest.raises(TwilioRestException):
        await send(twilio_client, magic.INVALID_NUMBER, body="second")
    await send(twilio_client, "+15558675311", body="third")

    async with httpx.AsyncClient(base_url=twilio_sandbox.base_url) as http:
        listed = (await http.get("/sandbox/messages")).json()
        assert [row["body"] for row in listed] == ["first", "second", "third"]
        assert [row["answer_status"] for row in listed] == [201, 400, 201]
        assert listed[0]["sid"] == accepted.sid
        assert listed[1]["sid"] is None
        assert listed[0]["status_callback"] == callback_receiver.url
        assert listed[2]["status_callback"] is None
        assert (listed[0]["to"], listed[0]["from"]) == (TO, FROM)
        assert listed[0]["received_at"] <= listed[1]["received_at"] <= listed[2]["received_at"]

        assert (await http.delete("/sandbox/messages")).status_code == 204
        assert (await http.get("/sandbox/messages")).json() == []


@pytest.mark.parametrize("twilio_sandbox", [{"latency_ms": 50}], indirect=True)
async def test_latency_delays_each_create_answer(twilio_client):
    started = time.perf_counter()
    await asyncio.gather(*(send(twilio_client, TO) for _ in range(5)))
    elapsed = time.perf_counter() - started
    # Concurrent creates wait side by side, not one after the other.
    assert 0.05 <= elapsed < 0.25


async def test_stored_media_is_served_to_the_accounts_credentials_only(twilio_sandbox):
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(64))
    settings = twilio_sandbox.settings
    async with httpx.AsyncClient() as client:
        stored = await client.post(
            f"{twilio_sandbox.base_url}/sandbox/media",
            content=jpeg,
            headers={"Content-Type": "image/jpeg"},
        )
        url = stored.json()["url"]
        served = await client.get(url, auth=(settings.account_sid, settings.auth_token))
        stranger = await client.get(url, auth=(settings.account_sid, "not-the-token"))
    assert stored.status_code == 201
    assert re.search(r"/Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$", url)
    assert (served.status_code, served.content) == (200, jpeg)
    assert served.headers["content-type"] == "image/jpeg"
    assert stranger.status_code == 401
