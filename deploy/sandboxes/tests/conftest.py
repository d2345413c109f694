"""Fixtures: the sandboxes in-process on free ports, and a status-callback receiver."""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from jobline_sandboxes.smtp_catcher import SmtpCatcherSettings, start_smtp_catcher
from jobline_sandboxes.twilio_sandbox.app import create_app
from jobline_sandboxes.twilio_sandbox.settings import TwilioSandboxSettings

STARTUP_DEADLINE_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn in this loop until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(STARTUP_DEADLINE_S):
        while not server.started:
            if task.done():
                task.result()  # surface the start-up error
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Callback:
    url: str
    params: dict[str, str]
    signature: str


@dataclass
class CallbackReceiver:
    url: str
    received: asyncio.Queue[Callback]

    async def next(self) -> Callback:
        """The next callback, waiting a few seconds at most."""
        async with asyncio.timeout(5.0):
            return await self.received.get()


@pytest.fixture
async def callback_receiver() -> AsyncIterator[CallbackReceiver]:
    """A tiny HTTP endpoint that records each status callback as it arrived."""
    received: asyncio.Queue[Callback] = asyncio.Queue()

    async def status(request: Request) -> Response:
        form = await request.form()
        params = {key: str(value) for key, value in form.items()}
        signature = request.headers.get("X-Twilio-Signature", "")
        await received.put(Callback(str(request.url), params, signature))
        return Response(status_code=204)

    app = Starlette(routes=[Route("/v1/twilio/status", status, methods=["POST"])])
    async with serving(app, free_port()) as base_url:
        yield CallbackReceiver(f"{base_url}/v1/twilio/status", received)


@dataclass
class RunningSandbox:
    base_url: str
    settings: TwilioSandboxSettings


@pytest.fixture
async def twilio_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[RunningSandbox]:
    """A fresh sandbox; parametrize indirectly with a dict to override settings."""
    overrides = getattr(request, "param", {})
    settings = TwilioSandboxSettings(port=free_port(), callback_delay_ms=5, **overrides)
    async with serving(create_app(settings), settings.port) as base_url:
        yield RunningSandbox(base_url, settings)


@pytest.fixture
async def client_for(twilio_sandbox: RunningSandbox) -> AsyncIterator[Callable[[str], Client]]:
    """Builds the official SDK's async client, pointed at the sandbox, for a given token."""
    made: list[Client] = []

    def build(auth_token: str) -> Client:
        account_sid = twilio_sandbox.settings.account_sid
        client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())
        client.api.base_url = twilio_sandbox.base_url
        made.append(client)
        return client

    yield build
    for client in made:
        await client.http_client.close()


@pytest.fixture
async def twilio_client(
    twilio_sandbox: RunningSandbox, client_for: Callable[[str], Client]
) -> Client:
    return client_for(twilio_sandbox.settings.auth_token)


@dataclass
class RunningCatcher:
    port: int
    mail_dir: Path


@pytest.fixture
async def smtp_catcher(tmp_path: Path) -> AsyncIterator[RunningCatcher]:
    settings = SmtpCatcherSettings(port=free_port(), mail_dir=tmp_path / "mail")
    server = await start_smtp_catcher(settings)
    yield RunningCatcher(settings.port, settings.mail_dir)
    server.close()
    await server.wait_closed()
