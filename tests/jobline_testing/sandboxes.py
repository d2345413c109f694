"""The local provider sandboxes (Twilio-compatible HTTP, SendGrid-compatible HTTP, SMTP
catcher) for tests: served in the test's event loop on free ports, fresh for each test
(the 429 number's counter and the lists of requests start empty)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from jobline_sandboxes.oidc_issuer import OidcIssuer
from jobline_sandboxes.oidc_issuer import create_app as create_oidc_app
from jobline_sandboxes.sendgrid_sandbox.app import SendgridSandbox
from jobline_sandboxes.sendgrid_sandbox.app import create_app as create_sendgrid_app
from jobline_sandboxes.sendgrid_sandbox.settings import SendgridSandboxSettings
from jobline_sandboxes.smtp_catcher import SmtpCatcherSettings, start_smtp_catcher
from jobline_sandboxes.twilio_sandbox.app import create_app
from jobline_sandboxes.twilio_sandbox.settings import TwilioSandboxSettings
from jobline_testing.services import free_port


@dataclass(frozen=True)
class Sandboxes:
    twilio_url: str
    smtp_port: int
    mail_dir: Path
    sendgrid_url: str
    # Its events go to ``sendgrid.event_webhook_url`` (none until a test sets it: the comms
    # service's address is known only once it is made) signed with ``sendgrid.signer``.
    sendgrid: SendgridSandbox

    def point_sendgrid_events_at(self, comms_url: str) -> dict[str, str]:
        """Send the SendGrid sandbox's events to a comms service at ``comms_url``; the
        settings that service needs to send through the sandbox and trust its events."""
        self.sendgrid.event_webhook_url = f"{comms_url}/v1/sendgrid/events"
        return {
            "JOBLINE_COMMS_SENDGRID_BASE_URL": self.sendgrid_url,
            "JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY": self.sendgrid.signer.public_key(),
        }


@asynccontextmanager
async def _serving(app: Any, port: int) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def running_sandboxes(
    tmp_path: Path, *, twilio_latency_ms: int = 0, callback_delay_ms: int = 20
) -> AsyncIterator[Sandboxes]:
    """The three sandboxes; the Twilio one answers each create after ``twilio_latency_ms``
    and posts each status callback ``callback_delay_ms`` after the previous step (the
    SendGrid one each event as long after the one before)."""
    settings = TwilioSandboxSettings(
        port=free_port(), latency_ms=twilio_latency_ms, callback_delay_ms=callback_delay_ms
    )
    twilio = create_app(settings)
    smtp = SmtpCatcherSettings(port=free_port(), mail_dir=tmp_path / "mail")
    sendgrid = create_sendgrid_app(
        SendgridSandboxSettings(
            event_webhook_url="", mail_dir=smtp.mail_dir, event_delay_ms=callback_delay_ms
        )
    )
    server = await start_smtp_catcher(smtp)
    async with (
        server,
        _serving(twilio, free_port()) as url,
        _serving(sendgrid, free_port()) as sendgrid_url,
    ):
        yield Sandboxes(url, smtp.port, smtp.mail_dir, sendgrid_url, sendgrid.state.sandbox)


@asynccontextmanager
async def running_oidc_issuer(clients: dict[str, str]) -> AsyncIterator[OidcIssuer]:
    """The local OpenID Connect issuer (issue 18's single sign-on) on a free port; its
    ``issuer`` is its URL, ``clients`` each client id and secret it accepts."""
    port = free_port()
    issuer = OidcIssuer(f"http://127.0.0.1:{port}", clients)
    async with _serving(create_oidc_app(issuer), port):
        yield issuer
