"""The HTTP face: Twilio's Messages resource plus `/sandbox/messages` for tests."""

import asyncio
import base64
import binascii
import gc
import hmac
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobline_sandboxes.twilio_sandbox import magic
from jobline_sandboxes.twilio_sandbox.callbacks import CallbackSender
from jobline_sandboxes.twilio_sandbox.media import MAX_MEDIA_BYTES, MediaStore
from jobline_sandboxes.twilio_sandbox.resources import message_resource
from jobline_sandboxes.twilio_sandbox.settings import TwilioSandboxSettings
from jobline_sandboxes.twilio_sandbox.state import ReceivedCreate, SandboxState

API = "/2010-04-01/Accounts/{account_sid}"
UNAUTHENTICATED = magic.Refusal(401, 20003, "Authenticate")


def _refused(refusal: magic.Refusal) -> JSONResponse:
    return JSONResponse(refusal.payload(), status_code=refusal.http_status)


class TwilioSandbox:
    """One fake Twilio account: judges create requests and schedules their callbacks."""

    def __init__(self, settings: TwilioSandboxSettings) -> None:
        self.settings = settings
        self.state = SandboxState()
        self.media = MediaStore()
        self._callbacks: CallbackSender | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """Own the callback HTTP client; cancel callbacks still pending at shutdown."""
        # aiohttp rather than httpx: at hundreds of callbacks a second httpx's pool spent
        # most of the sandbox's CPU and timed callbacks out waiting for a connection.
        # No cap on connections: each callback waits only for its receiver.
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=10.0)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
            delay_s = self.settings.callback_delay_ms / 1000
            self._callbacks = CallbackSender(client, self.settings.auth_token, delay_s)
            # Start-up's objects (modules, the twilio SDK, Starlette) live as long as the
            # process: frozen, the collector's full passes no longer walk them.
            gc.freeze()
            yield
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _authorised(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"{self.settings.account_sid}:{self.settings.auth_token}"
        return scheme.lower() == "basic" and hmac.compare_digest(decoded, expected)

    async def create_message(self, request: Request) -> Response:
        """`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form-encoded)."""
        form = await request.form()
        field = {key: str(form.get(key) or "") for key in ("To", "From", "Body")}
        record = ReceivedCreate(
            sid=None,
            to=field["To"],
            from_=field["From"],
            body=field["Body"],
            status_callback=str(form.get("StatusCallback") or "") or None,
            received_at=datetime.now(UTC),
        )
        self.state.received.append(record)
        response = self._answer(request, record)
        record.answer_status = response.status_code
        if self.settings.latency_ms:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        if record.sid is not None:
            # After the answer is decided and delayed, so `sent` never precedes `queued`.
            self._start_callbacks(record, self.state.messages[record.sid])
        return response

    def _answer(self, request: Request, record: ReceivedCreate) -> Response:
        if not self._authorised(request):
            return _refused(UNAUTHENTICATED)
        account_sid = request.path_params["account_sid"]
        if account_sid != self.settings.account_sid:
            return _refused(magic.Refusal(404, 20404, f"Account {account_sid} was not found"))
        earlier = self.state.sends_per_number[record.to]
        self.state.sends_per_number[record.to] += 1
        refusal = magic.judge_create(record.to, record.from_, record.body, earlier)
        if refusal is not None:
            return _refused(refusal)
        record.sid = f"SM{uuid.uuid4().hex}"
        message = message_resource(record, self.settings.account_sid)
        self.state.messages[record.sid] = message
        return JSONResponse(dict(message), status_code=201)

    def _start_callbacks(self, record: ReceivedCreate, message: dict[str, Any]) -> None:
        assert self._callbacks is not None, "the app's lifespan has not started"  # noqa: S101
        final = magic.final_status(record.to)
        task = asyncio.create_task(self._callbacks.run(record, message, final))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def fetch_message(self, request: Request) -> Response:
        """`GET .../Messages/{MessageSid}.json`: the message as it stands now."""
        if not self._authorised(request):
            return _refused(UNAUTHENTICATED)
        message = self.state.messages.get(request.path_params["message_sid"])
        if message is None:
            return _refused(magic.Refusal(404, 20404, "The requested resource was not found"))
        return JSONResponse(message)

    async def list_received(self, _request: Request) -> Response:
        """`GET /sandbox/messages`: every create request received, in arrival order."""
        return JSONResponse([record.to_json() for record in self.state.received])

    async def clear_received(self, _request: Request) -> Response:
        """`DELETE /sandbox/messages`: forget requests, messages and per-number counters."""
        self.state.clear()
        return Response(status_code=204)

    async def add_media(self, request: Request) -> Response:
        """`POST /sandbox/media` (the file as the body, its Content-Type): the URL an
        inbound webhook names it by, `{"url": …}`."""
        data = await request.body()
        if len(data) > MAX_MEDIA_BYTES:
            return JSONResponse({"error": "too large"}, status_code=413)
        content_type = request.headers.get("content-type", "application/octet-stream")
        message_sid, media_sid = self.media.add(content_type, data)
        base = str(request.base_url).rstrip("/")
        path = f"/2010-04-01/Accounts/{self.settings.account_sid}/Messages/{message_sid}"
        return JSONResponse({"url": f"{base}{path}/Media/{media_sid}"}, status_code=201)

    async def fetch_media(self, request: Request) -> Response:
        """`GET .../Messages/{MM}/Media/{ME}`: the file, to the account's credentials."""
        if not self._authorised(request):
            return _refused(UNAUTHENTICATED)
        found = self.media.files.get(request.path_params["media_sid"])
        if found is None:
            return _refused(magic.Refusal(404, 20404, "The requested resource was not found"))
        content_type, data = found
        return Response(data, media_type=content_type)

    async def ready(self, _request: Request) -> Response:
        """`GET /readyz`, for scripts that wait for the sandbox."""
        return JSONResponse({"status": "ok"})


def create_app(settings: TwilioSandboxSettings) -> Starlette:
    """The sandbox as an ASGI app; its state lives as long as the app."""
    sandbox = TwilioSandbox(settings)
    routes = [
        Route(f"{API}/Messages.json", sandbox.create_message, methods=["POST"]),
        Route(f"{API}/Messages/{{message_sid}}.json", sandbox.fetch_message, methods=["GET"]),
        Route("/sandbox/messages", sandbox.list_received, methods=["GET"]),
        Route("/sandbox/messages", sandbox.clear_received, methods=["DELETE"]),
        Route("/readyz", sandbox.ready, methods=["GET"]),
        # issue 20: MMS media of inbound texts
        Route("/sandbox/media", sandbox.add_media, methods=["POST"]),
        Route(
            f"{API}/Messages/{{message_sid}}/Media/{{media_sid}}",
            sandbox.fetch_media,
            methods=["GET"],
        ),
    ]
    app = Starlette(routes=routes, lifespan=sandbox.lifespan)
    app.state.sandbox = sandbox
    return app
