"""Fixtures: the sandboxes in-process on free ports, and a status-callback receiver."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from jobline_sandboxes.sendgrid_sandbox.app import create_app as create_sendgrid_app
from jobline_sandboxes.sendgrid_sandbox.events import SIGNATURE_HEADER, TIMESTAMP_HEADER
from jobline_sandboxes.sendgrid_sandbox.settings import SendgridSandboxSettings
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


@dataclass
class Post:
    body: str
    signature: str
    timestamp: str


@dataclass
class Running:
    url: str
    settings: SendgridSandboxSettings
    public_key: str
    posts: asyncio.Queue[Post]
    answers: list[int]  # the receiver's next answers (then 204); a 5xx is posted again

    async def events(self, count: int) -> list[tuple[dict[str, Any], Post]]:
        """The next ``count`` events posted, each with the post it came in."""
        got: list[tuple[dict[str, Any], Post]] = []
        async with asyncio.timeout(5.0):
            while len(got) < count:
                post = await self.posts.get()
                got.extend((event, post) for event in json.loads(post.body))
        return got

    async def send(self, mail: Mail, api_key: str | None = None) -> Any:
        client = SendGridAPIClient(api_key or self.settings.api_key, host=self.url)
        return await asyncio.to_thread(client.send, mail)


@pytest.fixture
async def sendgrid(tmp_path: Path) -> AsyncIterator[Running]:
    """A fresh SendGrid sandbox posting its events to a receiver that keeps them."""
    posts: asyncio.Queue[Post] = asyncio.Queue()
    answers: list[int] = []

    async def receive(request: Request) -> Response:
        body = (await request.body()).decode()
        headers = request.headers
        await posts.put(Post(body, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER]))
        return Response(status_code=answers.pop(0) if answers else 204)

    receiver = Starlette(routes=[Route("/events", receive, methods=["POST"])])
    async with serving(receiver, free_port()) as receiver_url:
        settings = SendgridSandboxSettings(
            port=free_port(),
            event_webhook_url=f"{receiver_url}/events",
            mail_dir=tmp_path / "mail",
            event_delay_ms=5,
        )
        app = create_sendgrid_app(settings)
        async with serving(app, settings.port) as url:
            public_key = app.state.sandbox.signer.public_key()
            yield Running(url, settings, public_key, posts, answers)
