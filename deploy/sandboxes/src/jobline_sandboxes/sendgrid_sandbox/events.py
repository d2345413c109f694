"""Signed Event Webhook posts, shaped as SendGrid posts them.

Each event is one JSON array of one event (SendGrid batches; one at a time keeps the
order a test can rely on). Custom args are copied into every event, as SendGrid does.
A post the receiver could not take (unreachable, or a 5xx) is tried again after 1, 2, 4 …
30 seconds, about a minute in all (SendGrid keeps trying for 24 hours), each time signed
afresh; a 4xx is not retried.
"""

import asyncio
import json
import logging
import secrets
import time
from typing import Any

import aiohttp

from jobline_sandboxes.sendgrid_sandbox.magic import events_for
from jobline_sandboxes.sendgrid_sandbox.signing import EventSigner
from jobline_sandboxes.sendgrid_sandbox.state import EventPost, ReceivedSend

log = logging.getLogger(__name__)
RETRY_WAITS_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def events_of(body: dict[str, Any], message_id: str) -> list[dict[str, Any]]:
    """Every event the message leads to, recipient by recipient, each in order."""
    shared_args = body.get("custom_args") or {}
    events: list[dict[str, Any]] = []
    for n, person in enumerate(body["personalizations"]):
        args = shared_args | (person.get("custom_args") or {})
        for to in person.get("to", []):
            address = str(to.get("email", ""))
            common = {
                **args,
                "email": address,
                "sg_message_id": f"{message_id}.filterdrecv-sandbox-{n}.0",
                "smtp-id": f"<{message_id}@sandbox.sendgrid.local>",
            }
            events.extend(
                common
                | {"timestamp": int(time.time()), "sg_event_id": secrets.token_urlsafe(16)}
                | event
                for event in events_for(address)
            )
    return events


def signed_post(
    signer: EventSigner, events: list[dict[str, Any]], *, at: float | None = None
) -> tuple[str, dict[str, str]]:
    """The body and headers of one signed Event Webhook post, sent now (or ``at``)."""
    body = json.dumps(events, separators=(",", ":"))
    timestamp = str(int(time.time() if at is None else at))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SendGrid Event API",
        SIGNATURE_HEADER: signer.sign(timestamp, body),
        TIMESTAMP_HEADER: timestamp,
    }
    return body, headers


class EventPoster:
    """Posts the events of one accepted message to a webhook, one after the other."""

    def __init__(self, client: aiohttp.ClientSession, signer: EventSigner, delay_s: float) -> None:
        self._client, self._signer, self._delay_s = client, signer, delay_s

    async def run(self, record: ReceivedSend, events: list[dict[str, Any]], url: str) -> None:
        """Post each event after the delay; a post that fails is recorded, not retried."""
        for event in events:
            await asyncio.sleep(self._delay_s)
            record.happened.append(event)
            if url:
                record.events.append(await self._post(url, event))

    async def _post(self, url: str, event: dict[str, Any]) -> EventPost:
        post = await self._post_once(url, event)
        for attempt, wait in enumerate(RETRY_WAITS_S, start=2):
            if post.answer_status is not None and post.answer_status < 500:
                break
            await asyncio.sleep(wait)
            post = await self._post_once(url, event)
            post.attempts = attempt
        return post

    async def _post_once(self, url: str, event: dict[str, Any]) -> EventPost:
        body, headers = signed_post(self._signer, [event])
        try:
            async with self._client.post(url, data=body, headers=headers) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("event %s to %s failed: %r", event["event"], url, error)
            return EventPost(event, None, repr(error))
        if not response.ok:
            log.warning("event %s to %s answered %s", event["event"], url, response.status)
        return EventPost(event, response.status)
