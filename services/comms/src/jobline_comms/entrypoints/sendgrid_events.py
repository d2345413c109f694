"""SendGrid's signed Event Webhook: per-recipient email events into the ledger.

Checked before anything is read into the ledger: the ECDSA signature over the timestamp
and the raw body, and the timestamp's age. Unsigned, forged or stale → 403, nothing
recorded. Each event then goes the way a Twilio status callback goes
(:func:`record_provider_status`): forward only, so SendGrid's retries, duplicates and
events out of order change nothing more. Opens and deferrals are also recorded as the
email's engagement (:func:`record_engagement`, order-free as well). Events of one
delivery are taken in the order they came; different deliveries at once.
"""

import asyncio
import json
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Protocol, cast

from fastapi import APIRouter, HTTPException, Request, Response

from jobline_comms.domain.email_events import EmailEvent, parse_event, report_of
from jobline_comms.domain.engagement import engagement_of
from jobline_comms.service_layer.engagement_handlers import record_engagement
from jobline_comms.service_layer.handlers import Services, record_provider_status
from jobline_infra.observability.metrics import DELIVERIES

log = logging.getLogger(__name__)
EVENTS_PATH = "/v1/sendgrid/events"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
router = APIRouter(tags=["sendgrid"])


class SendgridRuntime(Protocol):
    """What this endpoint needs from the running service."""

    services: Services

    def sendgrid_event_ok(self, body: bytes, signature: str, timestamp: str) -> bool: ...


def _runtime(request: Request) -> SendgridRuntime:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(503, "starting")
    return cast(SendgridRuntime, runtime)


@router.post(EVENTS_PATH, status_code=204)
async def sendgrid_events(request: Request) -> Response:
    """A batch of email events (a JSON array): each recipient's delivery moves forward."""
    runtime = _runtime(request)
    body = await request.body()
    signature = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    if not runtime.sendgrid_event_ok(body, signature, timestamp):
        log.warning("refused a SendGrid event batch: unsigned, forged or stale")
        raise HTTPException(403, f"invalid or stale {SIGNATURE_HEADER}")
    try:
        raw = json.loads(body)
    except ValueError:
        raise HTTPException(400, "the body must be a JSON array of events") from None
    if not isinstance(raw, list):
        raise HTTPException(400, "the body must be a JSON array of events")
    by_delivery: dict[object, list[EmailEvent]] = defaultdict(list)
    for event in filter(None, map(parse_event, raw)):
        by_delivery[event.delivery_id or event.message_id].append(event)
    await asyncio.gather(*(_record(events, runtime.services) for events in by_delivery.values()))
    return Response(status_code=204)


async def _record(events: list[EmailEvent], services: Services) -> None:
    for event in events:
        news = engagement_of(event.event, event.at or datetime.now(UTC), event.reason)
        if news is not None:
            await record_engagement(event.delivery_id, event.message_id, news, services)
        report = report_of(event)
        if report is None:
            log.info("email %s: %s (no status)", event.delivery_id or event.message_id, event.event)
            continue
        moved = await record_provider_status(
            event.delivery_id,
            event.message_id,
            report.status,
            report.error_code,
            services,
            error_message=report.error_message,
        )
        if moved:
            DELIVERIES.labels("email", report.status.value).inc()
