"""The HTTP face: v3 Mail Send, plus `/sandbox/messages` and the public key for tests."""

import asyncio
import hmac
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobline_sandboxes.sendgrid_sandbox import magic
from jobline_sandboxes.sendgrid_sandbox.events import EventPoster, events_of
from jobline_sandboxes.sendgrid_sandbox.mail_files import store_message
from jobline_sandboxes.sendgrid_sandbox.settings import SendgridSandboxSettings
from jobline_sandboxes.sendgrid_sandbox.signing import EventSigner
from jobline_sandboxes.sendgrid_sandbox.state import ReceivedSend, SandboxState

UNAUTHORIZED = magic.Refusal(
    401, "The provided authorization grant is invalid, expired, or revoked"
)


def _refused(refusal: magic.Refusal) -> JSONResponse:
    return JSONResponse(refusal.payload(), status_code=refusal.http_status)


class SendgridSandbox:
    """One fake SendGrid account: judges sends, stores them, posts their signed events."""

    def __init__(self, settings: SendgridSandboxSettings) -> None:
        self.settings = settings
        self.state = SandboxState()
        key_file = settings.key_file
        self.signer = EventSigner.from_file(key_file) if key_file else EventSigner.generate()
        # Where events go; tests point it at a service started after the sandbox.
        self.event_webhook_url = settings.event_webhook_url
        self._poster: EventPoster | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """Own the events' HTTP client; cancel posts still pending at shutdown."""
        timeout = aiohttp.ClientTimeout(total=10.0)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
            delay_s = self.settings.event_delay_ms / 1000
            self._poster = EventPoster(client, self.signer, delay_s)
            yield
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _authorised(self, request: Request) -> bool:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(key, self.settings.api_key)

    async def mail_send(self, request: Request) -> Response:
        """`POST /v3/mail/send` (JSON)."""
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        recipients = magic.recipients_of(body) if isinstance(body, dict) else []
        record = ReceivedSend(None, recipients, body, datetime.now(UTC))
        self.state.received.append(record)
        response = self._answer(request, record)
        record.answer_status = response.status_code
        if self.settings.latency_ms:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        if record.message_id is not None:
            self._start_events(record)
        return response

    def _answer(self, request: Request, record: ReceivedSend) -> Response:
        if not self._authorised(request):
            return _refused(UNAUTHORIZED)
        earlier = {a.lower(): self.state.sends_per_address[a.lower()] for a in record.recipients}
        for address in record.recipients:
            self.state.sends_per_address[address.lower()] += 1
        refusal = magic.judge_send(record.body, earlier)
        if refusal is not None:
            return _refused(refusal)
        record.message_id = secrets.token_urlsafe(16)[:22]
        record.eml = store_message(self.settings.mail_dir, record.body, record.message_id)
        return Response(status_code=202, headers={"X-Message-Id": record.message_id})

    def _start_events(self, record: ReceivedSend) -> None:
        assert self._poster is not None, "the app's lifespan has not started"  # noqa: S101
        assert record.message_id is not None  # noqa: S101 - accepted sends only
        task = asyncio.create_task(
            self._poster.run(
                record, events_of(record.body, record.message_id), self.event_webhook_url
            )
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def message(self, request: Request) -> Response:
        """`GET /v3/messages/{msg_id}` (Email Activity): the message's events so far."""
        if not self._authorised(request):
            return _refused(UNAUTHORIZED)
        wanted = request.path_params["msg_id"]
        record = next((r for r in self.state.received if r.message_id == wanted), None)
        if record is None:
            return _refused(magic.Refusal(404, "Message not found"))
        return JSONResponse(activity_of(record))

    async def list_received(self, _request: Request) -> Response:
        """`GET /sandbox/messages`: every send received, in arrival order."""
        return JSONResponse([record.to_json() for record in self.state.received])

    async def clear_received(self, _request: Request) -> Response:
        """`DELETE /sandbox/messages`: forget sends and per-address counters."""
        self.state.clear()
        return Response(status_code=204)

    async def public_key(self, _request: Request) -> Response:
        """`GET /sandbox/public-key`: the Event Webhook's verification key."""
        return JSONResponse({"public_key": self.signer.public_key()})

    async def ready(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})


_ACTIVITY_NAMES = {"bounce": "bounced"}


def activity_of(record: ReceivedSend) -> dict[str, Any]:
    """A message as the Email Activity API shows it: status and events so far."""
    names = [str(e["event"]) for e in record.happened]
    status = "processed"
    if "delivered" in names:
        status = "delivered"
    elif {"bounce", "dropped"} & set(names):
        status = "not_delivered"
    body = record.body if isinstance(record.body, dict) else {}
    return {
        "msg_id": record.message_id,
        "from_email": (body.get("from") or {}).get("email"),
        "subject": body.get("subject"),
        "to_email": record.recipients[0] if record.recipients else None,
        "status": status,
        "events": [
            {
                "event_name": _ACTIVITY_NAMES.get(name, name),
                "processed": datetime.fromtimestamp(event["timestamp"], UTC).isoformat(),
                "reason": event.get("reason") or "",
            }
            for name, event in zip(names, record.happened, strict=True)
        ],
    }


def create_app(settings: SendgridSandboxSettings) -> Starlette:
    """The sandbox as an ASGI app; its state lives as long as the app."""
    sandbox = SendgridSandbox(settings)
    routes = [
        Route("/v3/mail/send", sandbox.mail_send, methods=["POST"]),
        Route("/v3/messages/{msg_id}", sandbox.message, methods=["GET"]),
        Route("/sandbox/messages", sandbox.list_received, methods=["GET"]),
        Route("/sandbox/messages", sandbox.clear_received, methods=["DELETE"]),
        Route("/sandbox/public-key", sandbox.public_key, methods=["GET"]),
        Route("/readyz", sandbox.ready, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=sandbox.lifespan)
    app.state.sandbox = sandbox
    return app
