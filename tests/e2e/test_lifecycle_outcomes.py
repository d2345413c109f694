"""Issue 19, through the published contracts only: facts in on dispatch.events.v1, a text
sent from the API through the running comms service and the Twilio sandbox, and what
jobs.lifecycle.v1 then says: the outcome of each delivery with the job's id, never an
address or the wording, each event valid against its published JSON Schema, stamped with
Jobline's UTC time and, when a consumed message caused it, that message's own time."""

import asyncio
import json
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from jsonschema import Draft202012Validator
from twilio.request_validator import RequestValidator

from jobline_contracts import facts
from jobline_contracts.envelope import Envelope
from jobline_contracts.topics import COMMS_EVENTS, DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_sandboxes.twilio_sandbox.magic import UNDELIVERED_ERROR_CODE, UNDELIVERED_NUMBER
from jobline_testing.kafka import FactPublisher, Seen, TopicWatcher
from jobline_testing.services import ServiceProcess
from jobline_testing.stories import JobStory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("comms_service")]
SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas" / JOBS_LIFECYCLE.name
ZONE = ZoneInfo("America/Denver")  # the test tenant's
DANA, OFFICE = "+15555550141", UNDELIVERED_NUMBER
BODY = "Luis is on his way"


def upstream_time(minutes_ago: int) -> datetime:
    """Upstream's clock: local time with its offset, as a dispatch system writes it."""
    return (datetime.now(ZONE) - timedelta(minutes=minutes_ago)).replace(microsecond=0)


async def job_with_two_phones(publisher: FactPublisher, tenant: str) -> tuple[JobStory, dict]:
    """Customer and job facts, stamped in the tenant's zone; returns the facts' envelopes
    by message id (as written)."""
    story = JobStory(tenant)
    contacts = [
        facts.Contact(contact_id=uuid.uuid4(), name="Dana", phone=DANA),
        facts.Contact(contact_id=uuid.uuid4(), name="Office", phone=OFFICE),
    ]
    sent: dict[str, dict[str, Any]] = {}
    for minutes_ago, payload, key in (
        (
            3,
            facts.CustomerUpserted(customer_id=story.customer_id, name="Dana", contacts=contacts),
            str(story.customer_id),
        ),
        (2, story.dispatched(), story.key),
        (1, story.started(), story.key),
    ):
        envelope = Envelope.wrap(payload, tenant_id=tenant, occurred_at=upstream_time(minutes_ago))
        await publisher.publish(DISPATCH_EVENTS.name, envelope, key)
        sent[str(envelope.message_id)] = json.loads(envelope.to_json())
    return story, sent


def of_job(story: JobStory, *types: str):
    def match(seen: Seen) -> bool:
        return seen.key == story.key.encode() and json.loads(seen.value)["type"] in types

    return match


def valid_against_published_schema(document: dict[str, Any]) -> list[str]:
    schema = json.loads((SCHEMAS / f"{document['type']}.v1.json").read_text())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


async def until_handled(db: asyncpg.Pool, message_id: str, within: float = 30.0) -> None:
    """Poll the jobs service's ledger of handled messages until ``message_id`` is in it."""
    deadline = time.monotonic() + within
    while not await db.fetchval(
        "SELECT 1 FROM jobs.processed_messages WHERE message_id = $1", uuid.UUID(message_id)
    ):
        assert time.monotonic() < deadline, f"{message_id} was never handled"
        await asyncio.sleep(0.2)


async def send_text(api: httpx.AsyncClient, story: JobStory, *names: str) -> tuple[str, dict]:
    listed = (await api.get(f"/v1/jobs/{story.job_id}/recipients")).json()["items"]
    ids = {r["name"]: r["id"] for r in listed}
    sent = await api.post(
        f"/v1/jobs/{story.job_id}/communications",
        json={"channel": "sms", "recipient_ids": [ids[n] for n in names], "body": BODY},
    )
    assert sent.status_code == 202, sent.text
    return sent.json()["communication_id"], ids


async def test_a_text_ends_delivered_or_failed_on_the_lifecycle_once_with_the_job_id(
    api, publisher, watch, tenant, db
):
    lifecycle: TopicWatcher = await watch(JOBS_LIFECYCLE.name)
    comms_events: TopicWatcher = await watch(COMMS_EVENTS.name)
    story, facts_sent = await job_with_two_phones(publisher, tenant)
    await lifecycle.wait_for(of_job(story, "job.status_changed"))

    communication_id, ids = await send_text(api, story, "Dana", "Office")

    outcomes = await lifecycle.wait_for(
        of_job(story, "communication.delivered", "communication.failed"), count=2
    )
    by_type = {json.loads(s.value)["type"]: json.loads(s.value) for s in outcomes}
    delivered = by_type["communication.delivered"]["payload"]
    failed = by_type["communication.failed"]["payload"]
    assert (delivered["job_id"], delivered["job_number"]) == (story.key, story.number)
    assert delivered["communication_id"] == failed["communication_id"] == communication_id
    assert (delivered["recipient_id"], failed["recipient_id"]) == (ids["Dana"], ids["Office"])
    assert (delivered["channel"], failed["error_code"]) == ("sms", str(UNDELIVERED_ERROR_CODE))
    for seen in outcomes:  # what other teams read: no number, no wording
        assert DANA.encode() not in seen.value
        assert OFFICE.encode() not in seen.value
        assert BODY.encode() not in seen.value

    # A provider repeating its callback: comms reports "delivered" again, with a new id.
    def reported_delivered(seen: Seen) -> bool:
        value = json.loads(seen.value)
        return seen.key == delivered["delivery_id"].encode() and (
            value["payload"]["status"] == "delivered"
        )

    reported = (await comms_events.wait_for(reported_delivered))[0]
    again = {**json.loads(reported.value), "message_id": str(uuid.uuid4())}
    await publisher.publish_raw(COMMS_EVENTS.name, json.dumps(again).encode(), reported.key)
    await until_handled(db, again["message_id"])
    # A later event of the job: relayed in order after anything the repeat wrote.
    deferred = await api.post(f"/v1/jobs/{story.job_id}/defer", json={"reason": "dispute"})
    assert deferred.status_code < 300, deferred.text
    await lifecycle.wait_for(of_job(story, "job.deferred"))
    assert len(lifecycle.matching(of_job(story, "communication.delivered"))) == 1

    # Every event of the job: valid against the published schema, stamped in UTC by
    # Jobline; a fact's (or a comms event's) own time travels as source_occurred_at.
    events = [
        json.loads(s.value) for s in lifecycle.matching(lambda s: s.key == story.key.encode())
    ]
    comms_times = {
        json.loads(s.value)["message_id"]: json.loads(s.value)["occurred_at"]
        for s in comms_events.seen
    } | {again["message_id"]: again["occurred_at"]}
    assert {e["type"] for e in events} >= {
        "job.created",
        "job.status_changed",
        "job.communication_requested",
        "communication.delivered",
        "communication.failed",
        "job.deferred",
    }
    for event in events:
        assert valid_against_published_schema(event) == [], event["type"]
        assert event["occurred_at"].endswith("Z"), event
        cause = event["causation_id"]
        if cause in facts_sent:
            assert event["source_occurred_at"] == facts_sent[cause]["occurred_at"], event
            fact_at = datetime.fromisoformat(facts_sent[cause]["occurred_at"])
            assert datetime.fromisoformat(event["occurred_at"]) > fact_at
        elif cause in comms_times:
            assert event["source_occurred_at"] == comms_times[cause], event
        else:  # an operator's request
            assert "source_occurred_at" not in event, event
    created = next(e for e in events if e["type"] == "job.created")
    assert created["source_occurred_at"].endswith("-07:00")  # Denver in winter, as written


async def test_a_stop_reply_reaches_the_lifecycle_on_the_job_it_answered_without_the_number(
    api, publisher, watch, tenant, comms_service: ServiceProcess
):
    lifecycle: TopicWatcher = await watch(JOBS_LIFECYCLE.name)
    story, _ = await job_with_two_phones(publisher, tenant)
    await lifecycle.wait_for(of_job(story, "job.created"))
    communication_id, ids = await send_text(api, story, "Dana")
    await lifecycle.wait_for(of_job(story, "communication.delivered"))

    url = f"{comms_service.url}/v1/twilio/inbound"
    reply = {
        "From": DANA,
        "To": "+15005550000",
        "Body": "STOP",
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "ACsandbox00000000000000000000000000",
    }
    signature = RequestValidator("sandbox-auth-token").compute_signature(url, reply)
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, data=reply, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200

    (seen,) = await lifecycle.wait_for(of_job(story, "recipient.opted_out"))
    event = json.loads(seen.value)
    assert valid_against_published_schema(event) == []
    assert DANA.encode() not in seen.value
    payload = event["payload"]
    assert (payload["job_id"], payload["communication_id"]) == (story.key, communication_id)
    assert (payload["recipient_id"], payload["customer_id"]) == (
        ids["Dana"],
        str(story.customer_id),
    )
    assert (payload["channel"], payload["keyword"]) == ("sms", "STOP")
    assert event["occurred_at"].endswith("Z")
    assert "source_occurred_at" in event
