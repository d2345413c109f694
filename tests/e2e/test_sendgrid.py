"""Emails through SendGrid: the running jobs and comms services, the real sendgrid SDK
against the SendGrid sandbox, and its signed events back into the comms ledger."""

import time
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from e2e.test_communications import billable, invoice_pdf, job_with_contacts, recipient_ids, until

from jobline_sandboxes.sendgrid_sandbox import magic
from jobline_sandboxes.sendgrid_sandbox.events import SIGNATURE_HEADER, events_of, signed_post
from jobline_sandboxes.sendgrid_sandbox.signing import EventSigner
from jobline_testing.sandboxes import Sandboxes
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sendgrid_comms_service")]
THREE = [
    ("Dana", None, "delivered@example.com"),
    ("Old address", None, "bounce@example.com"),
    ("Spam trap", None, "dropped@example.com"),
]
FINAL = {
    "delivered@example.com": ("delivered", None, None),
    "bounce@example.com": ("bounced", magic.BOUNCE_STATUS, magic.BOUNCE_REASON),
    "dropped@example.com": ("failed", "dropped", magic.DROPPED_REASON),
}


def by_address(send: dict[str, Any]) -> dict[str, tuple[str, str | None, str | None]]:
    return {
        d["address"]: (d["status"], d["error_code"], d["error_message"]) for d in send["deliveries"]
    }


async def post_events(
    comms: ServiceProcess,
    events: list[dict[str, Any]],
    signer: EventSigner,
    at: float | None = None,
    **headers: str,
) -> httpx.Response:
    body, signed = signed_post(signer, events, at=at)
    async with httpx.AsyncClient(base_url=comms.url) as client:
        return await client.post("/v1/sendgrid/events", content=body, headers=signed | headers)


async def ledger(db: asyncpg.Pool, communication_id: str) -> dict[str, str]:
    rows = await db.fetch(
        "SELECT recipient, status FROM comms.deliveries WHERE communication_id = $1",
        UUID(communication_id),
    )
    return {r["recipient"]: r["status"] for r in rows}


@pytest.mark.usefixtures("invoicing_service")
async def test_an_invoice_email_to_three_magic_addresses_ends_delivered_bounced_and_dropped(
    api, publisher, watch, tenant, sandboxes: Sandboxes, sendgrid_comms_service, db
):
    job = await billable(publisher, watch, tenant, THREE)
    ids = await recipient_ids(api, job)
    await invoice_pdf(api, job)
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/invoice/sends", json={"recipient_ids": list(ids.values())}
    )
    assert sent.status_code == 202, sent.text
    path = f"/v1/jobs/{job.job_id}/invoice/sends"
    sends = await until(api, path, lambda s: by_address(s["items"][0]) == FINAL)

    # Each recipient went through SendGrid once, stored in the mail folder like SMTP's.
    received = sandboxes.sendgrid.state.received
    assert sorted(r.recipients[0] for r in received) == sorted(FINAL)
    assert all(r.answer_status == 202 and r.eml for r in received)
    assert len(list(sandboxes.mail_dir.glob("*-sendgrid.eml"))) == 3

    # Every event the sandbox posted, twice, newest first: nothing moves.
    posted = [p.event for r in received for p in r.events]
    assert {p.answer_status for r in received for p in r.events} == {204}
    replayed = [*reversed(posted), *reversed(posted)]
    answer = await post_events(sendgrid_comms_service, replayed, sandboxes.sendgrid.signer)
    assert answer.status_code == 204
    communication_id = sends["items"][0]["id"]
    assert await ledger(db, communication_id) == {
        "delivered@example.com": "delivered",
        "bounce@example.com": "bounced",
        "dropped@example.com": "failed",
    }
    after = (await api.get(path)).json()
    assert by_address(after["items"][0]) == FINAL


async def test_a_forged_or_stale_event_is_refused_and_records_nothing(
    api, publisher, watch, tenant, sandboxes: Sandboxes, sendgrid_comms_service, db
):
    sandboxes.sendgrid.event_webhook_url = ""  # SendGrid's events held back: still `sent`
    job = await job_with_contacts(publisher, watch, tenant, [("Dana", None, "dana@example.com")])
    dana = (await recipient_ids(api, job))["Dana"]
    sent = await api.post(
        f"/v1/jobs/{job.job_id}/communications",
        json={"channel": "email", "recipient_ids": [dana], "subject": "Hi", "body": "On our way"},
    )
    assert sent.status_code == 202, sent.text
    communication_id = sent.json()["communication_id"]
    path = f"/v1/communications/{communication_id}"
    await until(api, path, lambda c: c["deliveries"][0]["status"] == "sent")
    (record,) = sandboxes.sendgrid.state.received
    assert record.message_id is not None
    events = events_of(record.body, record.message_id)  # processed, delivered

    comms, genuine = sendgrid_comms_service, sandboxes.sendgrid.signer
    forged = await post_events(comms, events, EventSigner(ec.generate_private_key(ec.SECP256R1())))
    unsigned = await post_events(comms, events, genuine, **{SIGNATURE_HEADER: ""})
    stale = await post_events(comms, events, genuine, at=time.time() - 301)
    assert [forged.status_code, unsigned.status_code, stale.status_code] == [403, 403, 403]
    assert await ledger(db, communication_id) == {"dana@example.com": "sent"}

    # The same events, genuinely signed and fresh, are what moves it.
    assert (await post_events(comms, events, genuine)).status_code == 204
    assert await ledger(db, communication_id) == {"dana@example.com": "delivered"}
    await until(api, path, lambda c: c["deliveries"][0]["status"] == "delivered")
