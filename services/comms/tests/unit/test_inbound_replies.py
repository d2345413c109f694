"""Replies that are not STOP/START (issue 20): a text with its MMS photo and an email
through Inbound Parse become ``reply.received`` for the tenant the number or address
belongs to; forged posts are refused and record nothing."""

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from twilio.request_validator import RequestValidator

from jobline_comms.adapters.outbox import key_of, to_wire
from jobline_comms.domain.inbound import RefusedFile, ReplyReceived, StoredFile, tenant_of_address
from jobline_comms.entrypoints.http import build_app
from jobline_comms.entrypoints.inbound import token_matches
from jobline_comms.service_layer.reply_handlers import IncomingEmail, IncomingFile, receive_email
from jobline_comms.service_layer.reply_ports import (
    Fetched,
    MediaFetcher,
    ReplyFiles,
    ReplyRouting,
    ReplyServices,
)

pytestmark = pytest.mark.unit
TOKEN = "test-token"  # noqa: S105 - a test token for signing
PARSE_TOKEN = "parse-secret"  # noqa: S105 - the test's Inbound Parse URL secret
BASE = "http://comms.public:8001"
INBOUND = f"{BASE}/v1/twilio/inbound"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
MEDIA = "http://twilio.test/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


@dataclass
class FakeMedia(MediaFetcher):
    files: dict[str, Fetched] = field(default_factory=dict)

    async def fetch(self, url: str, limit: int) -> Fetched:
        found = self.files.get(url, Fetched("", b"", None, "HTTP 404"))
        return replace(found, data=found.data[: limit + 1])


@dataclass
class FakeFiles(ReplyFiles):
    stored: dict[str, bytes] = field(default_factory=dict)

    async def put(self, key: str, data: bytes) -> None:
        self.stored[key] = data


@dataclass
class FakeRouting(ReplyRouting):
    texted: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, sender, phone

    async def latest_tenant_texting(self, sender, phone, among):
        found = [t for t, s, p in self.texted if (s, p) == (sender, phone)]
        found = [t for t in found if among is None or t in among]
        return found[-1] if found else None


@dataclass
class FakeRuntime:
    services: object
    status_callback_url: str = f"{BASE}/v1/twilio/status"
    inbound_url: str = INBOUND

    def signature_ok(self, url, params, signature):
        return bool(signature) and RequestValidator(TOKEN).validate(url, dict(params), signature)

    def inbound_parse_ok(self, token):
        return token_matches(token, PARSE_TOKEN)

    async def readiness(self):
        return {"database": "ok"}


def noting_tenants(make_uow, tenants: list[str]):
    """The services' units of work, noting each recorded event's tenant."""

    def make():
        uow = make_uow()
        record = uow.record

        def noted(event, causation):
            tenants.append(causation.tenant_id)
            record(event, causation)

        uow.record = noted
        return uow

    return make


@pytest.fixture
def tenants() -> list[str]:
    return []


@pytest.fixture
def media():
    return FakeMedia({MEDIA: Fetched("image/jpeg", JPEG, len(JPEG))})


@pytest.fixture
def files():
    return FakeFiles()


@pytest.fixture
def routing():
    return FakeRouting()


@pytest.fixture
async def api(services, store, tenants, media, files, routing):
    replies = ReplyServices(media, files, routing, "replies.test", {}, max_file_bytes=4096)
    app = build_app()
    noted = noting_tenants(services.unit_of_work, tenants)
    app.state.runtime = FakeRuntime(replace(services, replies=replies, unit_of_work=noted))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://comms.test") as client:
        yield client


async def text(api, form: dict[str, str]) -> httpx.Response:
    signature = RequestValidator(TOKEN).compute_signature(INBOUND, form)
    return await api.post(
        "/v1/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )


def replies(store) -> list[ReplyReceived]:
    return [e for e in store.events if isinstance(e, ReplyReceived)]


async def test_a_text_with_a_photo_is_reported_with_the_photo_stored(api, store, files, tenants):
    form = {
        "MessageSid": "SM1",
        "From": "+15555550101",
        "To": "+15005551111",  # acme's own number
        "Body": "Here is the leak",
        "NumMedia": "1",
        "MediaUrl0": MEDIA,
        "MediaContentType0": "image/jpeg",
    }
    assert (await text(api, form)).status_code == 200
    assert (await text(api, form)).status_code == 200  # Twilio's retry: nothing more
    [reply] = replies(store)
    assert tenants == ["acme"]
    assert (reply.channel, reply.sender, reply.body) == ("sms", "+15555550101", "Here is the leak")
    [photo] = reply.files
    assert photo.blob_key.startswith(f"acme/replies/{reply.reply_id}/")
    assert files.stored[photo.blob_key] == JPEG
    assert (photo.content_type, photo.size_bytes, reply.refused) == ("image/jpeg", len(JPEG), ())


async def test_media_over_the_limit_or_of_another_type_is_refused_with_a_note(
    api, store, files, media
):
    media.files["http://twilio.test/big"] = Fetched("image/jpeg", JPEG * 3, len(JPEG) * 3)
    media.files["http://twilio.test/video"] = Fetched("video/mp4", b"\x00\x00\x00 ftypmp4", 12)
    form = {
        "MessageSid": "SM2",
        "From": "+15555550101",
        "To": "+15005551111",
        "Body": "",
        "NumMedia": "2",
        "MediaUrl0": "http://twilio.test/big",
        "MediaUrl1": "http://twilio.test/video",
    }
    assert (await text(api, form)).status_code == 200
    [reply] = replies(store)
    assert reply.files == ()
    assert files.stored == {}
    big, video = reply.refused
    assert "over the 4096-byte limit" in big.reason
    assert "video/mp4 is not a type a document may be" in video.reason


async def test_a_text_to_the_shared_number_goes_to_the_tenant_that_last_texted_the_phone(
    api, store, routing, tenants
):
    routing.texted += [("acme", "+15005550000", "+15555550102")]
    routing.texted += [("harbour", "+15005550000", "+15555550102")]
    form = {"MessageSid": "SM3", "From": "+15555550102", "To": "+15005550000", "Body": "Yes"}
    assert (await text(api, form)).status_code == 200
    stranger = {**form, "MessageSid": "SM4", "From": "+15555550199"}
    assert (await text(api, stranger)).status_code == 200
    [reply] = replies(store)
    assert (reply.sender, tenants) == ("+15555550102", ["harbour"])


async def test_a_stop_still_opts_out_and_is_no_reply(api, store):
    form = {"MessageSid": "SM5", "From": "+15555550101", "To": "+15005551111", "Body": "STOP"}
    assert (await text(api, form)).status_code == 200
    assert store.opt_outs["acme", "+15555550101"] is True
    assert replies(store) == []


def parse_form(to: str, **more: str) -> dict[str, str]:
    return {
        "from": "Dana Whitfield <Dana@Example.com>",
        "to": to,
        "subject": "Re: Your invoice",
        "text": "Paid it, thanks",
        "envelope": json.dumps({"to": [to], "from": "dana@example.com"}),
        "headers": "Message-ID: <abc@example.com>\nSubject: Re: Your invoice\n",
        "attachment-info": json.dumps({"attachment1": {"filename": "receipt.jpg"}}),
        **more,
    }


async def test_an_inbound_parse_email_is_reported_for_the_tenant_of_its_address(
    api, store, files, tenants
):
    form = parse_form("reply+acme@replies.test")
    upload = {"attachment1": ("receipt.jpg", JPEG, "image/jpeg")}
    answer = await api.post(f"/v1/inbound/email/{PARSE_TOKEN}", data=form, files=upload)
    again = await api.post(f"/v1/inbound/email/{PARSE_TOKEN}", data=form, files=upload)
    assert (answer.status_code, again.json()) == (200, {"reply_id": None})
    [reply] = replies(store)
    assert tenants == ["acme"]
    assert str(reply.reply_id) == answer.json()["reply_id"]
    assert (reply.channel, reply.sender, reply.subject) == (
        "email",
        "dana@example.com",
        "Re: Your invoice",
    )
    [receipt] = reply.files
    assert (receipt.filename, files.stored[receipt.blob_key]) == ("receipt.jpg", JPEG)
    assert receipt.blob_key.startswith("acme/")


@pytest.mark.parametrize("token", ["wrong", "parse-secre", ""])
async def test_a_forged_inbound_parse_post_is_refused_and_records_nothing(api, store, files, token):
    form = parse_form("reply+acme@replies.test")
    answer = await api.post(
        f"/v1/inbound/email/{token}",
        data=form,
        files={"attachment1": ("receipt.jpg", JPEG, "image/jpeg")},
    )
    assert answer.status_code in {403, 404, 405}
    assert replies(store) == []
    assert files.stored == {}


async def test_an_email_to_no_tenants_reply_address_is_nobodys(api, store):
    for to in ("reply+acme@elsewhere.test", "someone@replies.test", "reply+A@replies.test"):
        answer = await api.post(f"/v1/inbound/email/{PARSE_TOKEN}", data=parse_form(to))
        assert answer.json() == {"reply_id": None}
    assert replies(store) == []


def test_the_tenant_comes_from_the_reply_address_only():
    own = {"harbour": "Replies@Harbour.example"}
    assert tenant_of_address("reply+acme@replies.test", "replies.test", own) == "acme"
    assert tenant_of_address("replies@harbour.example", "replies.test", own) == "harbour"
    assert tenant_of_address("reply+acme@replies.test", None, own) is None
    assert tenant_of_address("reply+../x@replies.test", "replies.test", own) is None


def test_a_reply_maps_to_its_contract_keyed_by_its_id():
    photo = StoredFile("acme/replies/x/1", "photo-1.jpg", "image/jpeg", 10, "0" * 64)
    refused = RefusedFile("clip.mp4", "video/mp4", 99, "not a type a document may be")
    reply = ReplyReceived(
        uuid4(), "sms", "+15555550101", "Hi", datetime.now(UTC), None, (photo,), (refused,)
    )
    payload = to_wire(reply)
    assert payload.message_type == "reply.received"
    assert payload.attachments[0].blob_key == photo.blob_key
    assert payload.refused_attachments[0].reason == refused.reason
    assert key_of(reply) == str(reply.reply_id)


async def test_hostile_names_stay_one_line_and_a_forged_envelope_sender_is_nobodys(api, store):
    form = parse_form("reply+acme@replies.test")
    clip = {"attachment1": ("clip\r\nBcc: x.mp4", b"\x00\x00\x00 ftypmp4", "video/mp4")}
    answer = await api.post(f"/v1/inbound/email/{PARSE_TOKEN}", data=form, files=clip)
    forged = parse_form(
        "reply+acme@replies.test",
        envelope=json.dumps({"to": ["reply+acme@replies.test"], "from": "a@b.c\nBcc: d@e.f"}),
        headers="Message-ID: <other@example.com>\n",
    )
    assert (await api.post(f"/v1/inbound/email/{PARSE_TOKEN}", data=forged)).json() == {
        "reply_id": None
    }
    [reply] = replies(store)
    assert str(reply.reply_id) == answer.json()["reply_id"]
    [refused] = reply.refused
    assert "\n" not in refused.filename
    assert "\r" not in refused.filename
    assert to_wire(reply).refused_attachments[0].filename == refused.filename


async def test_a_senders_names_and_types_become_one_line_on_the_reply(services, store, files):
    replies_ = ReplyServices(FakeMedia(), files, FakeRouting(), "replies.test")
    hostile = IncomingFile("clip\r\nBcc: x.mp4", "video/mp4\r\nX-Evil: 1", b"\x00" * 16, 16)
    mail = IncomingEmail("<m@example.com>", "acme", "dana@example.com", None, "Hi", [hostile])
    await receive_email(mail, replace(services, replies=replies_))
    [reply] = replies(store)
    [refused] = to_wire(reply).refused_attachments
    assert (refused.filename, refused.content_type) == ("clip Bcc: x.mp4", "video/mp4 X-Evil: 1")
