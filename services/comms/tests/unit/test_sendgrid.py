"""SendGrid: the Mail Send request built for one delivery, its error answers, the events'
meaning, and the signed Event Webhook (ECDSA checked with the SDK's helper)."""

import base64
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from jobline_comms.adapters.email_providers import EmailProviders
from jobline_comms.adapters.sendgrid_email import classify_sendgrid_error, mail_of
from jobline_comms.adapters.sendgrid_signatures import SendgridSignatures
from jobline_comms.config import Settings
from jobline_comms.domain.commands import SendEmail
from jobline_comms.domain.email import File, OutgoingEmail
from jobline_comms.domain.email_events import (
    EmailReport,
    history_event,
    parse_event,
    report_of,
    settled_by,
)
from jobline_comms.domain.engagement import DeliveryEngagementChanged, Engagement
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import Accepted, Refused, Transient
from jobline_comms.entrypoints.http import build_app
from jobline_comms.service_layer.handlers import Services
from jobline_comms.service_layer.ports import EmailProvider

pytestmark = pytest.mark.unit
KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
BOUNCE_REASON = "550 5.1.1 The email account that you tried to reach does not exist."


def email(**changes) -> OutgoingEmail:
    fields = {
        "delivery_id": uuid.UUID(int=7),
        "sender": "Acme Plumbing <billing@acme.example>",
        "to": "dana@example.com",
        "to_name": "Dana",
        "subject": "Invoice 1042",
        "body_text": "Attached.",
        "attachments": (File("INV-1042.pdf", "application/pdf", b"%PDF-1.4"),),
        "reply_to": "office@acme.example",
        "tenant_id": "acme",
    }
    return OutgoingEmail(**(fields | changes))


def test_the_request_names_its_delivery_and_carries_everything():
    body = mail_of(email()).get()
    assert body["from"] == {"email": "billing@acme.example", "name": "Acme Plumbing"}
    assert body["personalizations"][0]["to"] == [{"email": "dana@example.com", "name": "Dana"}]
    assert body["reply_to"] == {"email": "office@acme.example"}
    assert body["custom_args"] == {"delivery_id": str(uuid.UUID(int=7))}
    assert body["headers"] == {"Message-ID": f"<{uuid.UUID(int=7)}@jobline.local>"}
    assert body["content"] == [{"type": "text/plain", "value": "Attached."}]
    (attachment,) = body["attachments"]
    assert base64.b64decode(attachment["content"]) == b"%PDF-1.4"
    assert (attachment["filename"], attachment["type"]) == ("INV-1042.pdf", "application/pdf")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, Transient), (500, Transient), (503, Transient), (400, Refused), (413, Refused)],
)
def test_429_and_5xx_are_retried_other_4xx_fail_with_sendgrids_words(status, expected):
    body = json.dumps({"errors": [{"message": "Does not contain a valid address."}]}).encode()
    outcome = classify_sendgrid_error(status, body)
    assert isinstance(outcome, expected)
    assert (outcome.code, outcome.message) == (str(status), "Does not contain a valid address.")
    if isinstance(outcome, Refused):
        assert outcome.status is DeliveryStatus.FAILED


def event(kind: str, delivery_id: uuid.UUID | None = None, **fields) -> dict:
    return {
        "event": kind,
        "email": "dana@example.com",
        "timestamp": 1_700_000_000,
        "sg_message_id": "abc123XYZ.filterdrecv-1.0",
        "delivery_id": str(delivery_id or uuid.UUID(int=7)),
        **fields,
    }


@pytest.mark.parametrize(
    ("raw", "report"),
    [
        (event("processed"), EmailReport(DeliveryStatus.SENT)),
        (event("delivered", response="250 OK"), EmailReport(DeliveryStatus.DELIVERED)),
        (event("open"), EmailReport(DeliveryStatus.DELIVERED)),
        (
            event("bounce", reason=BOUNCE_REASON, status="5.1.1", type="bounce"),
            EmailReport(DeliveryStatus.BOUNCED, "5.1.1", BOUNCE_REASON),
        ),
        (
            event("dropped", reason="Bounced Address"),
            EmailReport(DeliveryStatus.FAILED, "dropped", "Bounced Address"),
        ),
        (event("deferred", response="451 4.3.0 try again later"), None),
        (event("spamreport"), None),
    ],
)
def test_what_each_event_reports(raw, report):
    parsed = parse_event(raw)
    assert parsed is not None
    assert (parsed.message_id, parsed.delivery_id) == ("abc123XYZ", uuid.UUID(int=7))
    assert report_of(parsed) == report


@pytest.mark.parametrize("raw", [None, [], {"email": "x"}, {"event": "delivered"}])
def test_what_is_not_an_event_about_our_message_is_skipped(raw):
    assert parse_event(raw) is None


@dataclass
class Recording(EmailProvider):
    sent: list[OutgoingEmail]

    async def send(self, email: OutgoingEmail) -> Accepted:
        self.sent.append(email)
        return Accepted(None)


async def test_emails_go_through_the_provider_of_their_tenant():
    smtp, sendgrid = Recording([]), Recording([])
    providers = EmailProviders({"smtp": smtp, "sendgrid": sendgrid}, "smtp", {"acme": "sendgrid"})
    await providers.send(email(tenant_id="acme"))
    await providers.send(email(tenant_id="harbour"))
    assert [e.tenant_id for e in sendgrid.sent] == ["acme"]
    assert [e.tenant_id for e in smtp.sent] == ["harbour"]
    with pytest.raises(ValueError, match="sendgrid"):
        EmailProviders({"smtp": smtp}, "sendgrid")


def test_sendgrid_in_production_needs_a_real_key_and_the_event_public_key(monkeypatch):
    monkeypatch.delenv("JOBLINE_ENV", raising=False)
    monkeypatch.setenv("JOBLINE_COMMS_TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("JOBLINE_COMMS_TWILIO_AUTH_TOKEN", "real-token")
    monkeypatch.setenv("DATABASE_URL", "postgresql://comms:s3cret@db.internal/jobline")
    assert Settings().email_provider == "smtp"  # self-hosters' default needs neither
    monkeypatch.setenv("JOBLINE_COMMS_EMAIL_PROVIDERS", '{"acme": "sendgrid"}')
    with pytest.raises(ValidationError, match="SENDGRID_API_KEY"):
        Settings()
    monkeypatch.setenv("JOBLINE_COMMS_SENDGRID_API_KEY", "SG.real")
    with pytest.raises(ValidationError, match="SENDGRID_EVENT_PUBLIC_KEY"):
        Settings()
    monkeypatch.setenv("JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY", PUBLIC_KEY)
    assert Settings().email_providers == {"acme": "sendgrid"}


# The Event Webhook.


def signed(body: str, *, at: float | None = None, key: ec.EllipticCurvePrivateKey = KEY) -> dict:
    timestamp = str(int(time.time() if at is None else at))
    signature = key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


@dataclass
class FakeRuntime:
    services: Services
    signatures: SendgridSignatures

    def sendgrid_event_ok(self, body: bytes, signature: str, timestamp: str) -> bool:
        return self.signatures.valid(body, signature, timestamp)


@pytest.fixture
async def webhook(services):
    app = build_app()
    app.state.runtime = FakeRuntime(services, SendgridSignatures(PUBLIC_KEY))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://comms.test") as client:
        yield client


async def sent_email(store, services) -> uuid.UUID:
    cmd = SendEmail(uuid.uuid4(), uuid.uuid4(), "acme", "dana@example.com", "Hi", "Body")
    picked = store.pick(cmd)
    picked.delivery.claim()
    assert await services.attempts.claim(picked.delivery)
    picked.delivery.settle(Accepted("abc123XYZ"), 3, services.backoff, 0.5)
    assert await services.changes.save(picked.delivery)
    return cmd.delivery_id


async def post(webhook, events: list[dict], **sign) -> int:
    body = json.dumps(events)
    return (
        await webhook.post("/v1/sendgrid/events", content=body, headers=signed(body, **sign))
    ).status_code


async def test_a_signed_bounce_records_its_reason(webhook, services, store):
    delivery_id = await sent_email(store, services)
    bounce = event("bounce", delivery_id, reason=BOUNCE_REASON, status="5.1.1")
    assert await post(webhook, [event("processed", delivery_id), bounce]) == 204
    stored = store.deliveries[delivery_id]
    assert (stored.status, stored.error_code) == (DeliveryStatus.BOUNCED, "5.1.1")
    assert stored.error_message == BOUNCE_REASON
    assert stored.provider_message_id == "abc123XYZ"


async def test_an_event_without_the_delivery_id_finds_it_by_message_id(webhook, services, store):
    delivery_id = await sent_email(store, services)
    delivered = event("delivered")
    del delivered["delivery_id"]
    assert await post(webhook, [delivered]) == 204
    assert store.deliveries[delivery_id].status is DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    "sign",
    [
        {"key": ec.generate_private_key(ec.SECP256R1())},  # forged
        {"at": -400},  # stale: seconds from when the test runs (not from collection)
        {"at": +400},  # from the future
    ],
)
async def test_a_forged_or_stale_batch_is_refused_and_records_nothing(
    webhook, services, store, sign
):
    if "at" in sign:
        sign = {"at": time.time() + sign["at"]}
    delivery_id = await sent_email(store, services)
    assert await post(webhook, [event("delivered", delivery_id)], **sign) == 403
    assert store.deliveries[delivery_id].status is DeliveryStatus.SENT


async def test_an_unsigned_batch_is_refused(webhook, services, store):
    delivery_id = await sent_email(store, services)
    body = json.dumps([event("delivered", delivery_id)])
    answer = await webhook.post("/v1/sendgrid/events", content=body)
    assert answer.status_code == 403
    assert store.deliveries[delivery_id].status is DeliveryStatus.SENT


async def test_events_twice_and_in_reverse_leave_the_same_statuses(webhook, services, store):
    bounced, dropped, opened = [await sent_email(store, services) for _ in range(3)]
    events = [
        event("processed", bounced),
        event("deferred", bounced, response="451 4.3.0 try again later"),
        event("bounce", bounced, reason=BOUNCE_REASON, status="5.1.1"),
        event("dropped", dropped, reason="Bounced Address"),
        event("processed", opened),
        event("delivered", opened),
        event("open", opened),
    ]
    assert await post(webhook, events) == 204
    first = {d: store.deliveries[d].status for d in (bounced, dropped, opened)}
    assert await post(webhook, [*reversed(events), *reversed(events)]) == 204
    assert {d: store.deliveries[d].status for d in (bounced, dropped, opened)} == first
    assert first == {
        bounced: DeliveryStatus.BOUNCED,
        dropped: DeliveryStatus.FAILED,
        opened: DeliveryStatus.DELIVERED,
    }
    assert store.deliveries[bounced].error_message == BOUNCE_REASON


async def test_a_body_that_is_not_an_array_of_events_is_refused(webhook):
    assert await post(webhook, {"event": "delivered"}) == 400  # type: ignore[arg-type]


def test_without_a_public_key_every_request_is_refused():
    body = json.dumps([event("delivered")])
    headers = signed(body)
    signature = headers["X-Twilio-Email-Event-Webhook-Signature"]
    timestamp = headers["X-Twilio-Email-Event-Webhook-Timestamp"]
    assert SendgridSignatures(PUBLIC_KEY).valid(body.encode(), signature, timestamp)
    assert not SendgridSignatures(None).valid(body.encode(), signature, timestamp)
    assert not SendgridSignatures(PUBLIC_KEY).valid(body.encode(), "not base64!", timestamp)


def test_a_history_is_settled_by_its_first_final_event():
    history = [
        {"event_name": "processed"},
        {"event_name": "deferred", "reason": "451 4.3.0 try again later"},
        {"event_name": "bounced", "reason": BOUNCE_REASON},
        {"event_name": "delivered"},  # too late: the bounce stands, as in the ledger
    ]
    events = [history_event("abc123XYZ", raw) for raw in history]
    assert settled_by(e for e in events if e is not None) == EmailReport(
        DeliveryStatus.BOUNCED, "5.1.1", BOUNCE_REASON
    )
    assert settled_by([history_event("abc", {"event_name": "processed"})]) == EmailReport(
        DeliveryStatus.SENT
    )
    assert settled_by([]) is None


# issue 20: opens and deferrals, beside the status.


def engagement_events(store) -> list[DeliveryEngagementChanged]:
    return [e for e in store.events if isinstance(e, DeliveryEngagementChanged)]


async def test_an_open_before_its_delivered_ends_delivered_and_opened(webhook, services, store):
    delivery_id = await sent_email(store, services)
    opened = event("open", delivery_id, timestamp=1_700_000_060)
    assert await post(webhook, [opened, event("delivered", delivery_id)]) == 204
    assert store.deliveries[delivery_id].status is DeliveryStatus.DELIVERED
    assert store.engagements[delivery_id] == Engagement(
        opened_at=datetime.fromtimestamp(1_700_000_060, UTC)
    )
    [published] = engagement_events(store)
    assert published.delivery_id == delivery_id


async def test_a_deferral_keeps_its_reason_and_leaves_the_status(webhook, services, store):
    delivery_id = await sent_email(store, services)
    deferred = event("deferred", delivery_id, response="451 4.3.0 try again later")
    assert await post(webhook, [deferred]) == 204
    assert store.deliveries[delivery_id].status is DeliveryStatus.SENT
    assert store.engagements[delivery_id].deferred_reason == "451 4.3.0 try again later"


async def test_engagement_events_twice_in_reverse_change_and_publish_nothing_more(
    webhook, services, store
):
    delivery_id = await sent_email(store, services)
    events = [
        event("deferred", delivery_id, response="421 busy", timestamp=1_700_000_010),
        event("deferred", delivery_id, response="451 greylisted", timestamp=1_700_000_020),
        event("delivered", delivery_id, timestamp=1_700_000_030),
        event("open", delivery_id, timestamp=1_700_000_040),
        event("click", delivery_id, timestamp=1_700_000_050),
    ]
    assert await post(webhook, events) == 204
    first, published = store.engagements[delivery_id], len(engagement_events(store))
    assert await post(webhook, [*reversed(events), *reversed(events)]) == 204
    assert store.engagements[delivery_id] == first
    assert len(engagement_events(store)) == published == 3  # two deferrals, the open
    assert first == Engagement(
        datetime.fromtimestamp(1_700_000_040, UTC),
        datetime.fromtimestamp(1_700_000_020, UTC),
        "451 greylisted",
    )
