"""An SMTP catcher: every accepted message becomes one `.eml` file, refusals on demand.

One file per message (not per recipient); the envelope travels in two headers prepended
to the message as received: `X-Sandbox-Mail-From` and `X-Sandbox-Rcpt-To` (all accepted
envelope recipients, comma-separated). File names sort in arrival order.
"""

import asyncio
import itertools
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from jobline_sandboxes.env import env_int, env_str
from jobline_sandboxes.inbound_parse import is_reply_address, post_reply

log = logging.getLogger(__name__)
REJECTED = "550 5.1.1 mailbox unavailable"
DEFERRED = "451 4.3.0 try again later"
REJECT_FILE = "reject.txt"


@dataclass(frozen=True)
class SmtpCatcherSettings:
    """Where the catcher listens and where it keeps the mail."""

    host: str = "127.0.0.1"
    port: int = 1025
    mail_dir: Path = field(default_factory=lambda: Path.cwd() / ".run" / "mail")
    # issue 20: mail to reply+… addresses is posted here in Inbound Parse form ("": not).
    inbound_parse_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "SmtpCatcherSettings":
        """Settings from JOBLINE_SANDBOX_SMTP_* and JOBLINE_SANDBOX_MAIL_DIR."""
        env = os.environ if environ is None else environ
        mail_dir = env_str(env, "JOBLINE_SANDBOX_MAIL_DIR", "")
        return cls(
            host=env_str(env, "JOBLINE_SANDBOX_SMTP_HOST", cls.host),
            port=env_int(env, "JOBLINE_SANDBOX_SMTP_PORT", cls.port),
            mail_dir=Path(mail_dir) if mail_dir else Path.cwd() / ".run" / "mail",
            inbound_parse_url=env_str(env, "JOBLINE_SANDBOX_INBOUND_PARSE_URL", ""),
        )


def refusal_for(address: str, rejected: set[str]) -> str | None:
    """The SMTP reply refusing `address` at RCPT TO, or None when it is accepted."""
    local_part = address.rpartition("@")[0].lower()
    if address.lower() in rejected or local_part.startswith("bounce"):
        return REJECTED
    if local_part.startswith("tempfail"):
        return DEFERRED
    return None


class CatcherHandler:
    """aiosmtpd handler: refuses recipients by rule, stores accepted messages."""

    def __init__(self, mail_dir: Path, inbound_parse_url: str = "") -> None:
        self.mail_dir = mail_dir
        self.inbound_parse_url = inbound_parse_url
        self._sequence = itertools.count(1)

    def _rejected_addresses(self) -> set[str]:
        # Re-read on every RCPT, so a test can change it while the catcher runs.
        try:
            lines = (self.mail_dir / REJECT_FILE).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return set()
        return {line.strip().lower() for line in lines if line.strip()}

    async def handle_RCPT(  # noqa: N802 - the hook name aiosmtpd looks up; it passes arguments by position
        self,
        _server: SMTP,
        _session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Refuse by rule, otherwise add the recipient to the envelope."""
        refusal = refusal_for(address, self._rejected_addresses())
        if refusal is not None:
            log.info("refused RCPT TO:<%s> with %s", address, refusal)
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - the hook name aiosmtpd looks up
        self, _server: SMTP, _session: Session, envelope: Envelope
    ) -> str:
        """Write the message with its envelope headers; the name sorts in arrival order."""
        content = envelope.original_content or b""
        headers = (
            f"X-Sandbox-Mail-From: {envelope.mail_from or ''}\r\n"
            f"X-Sandbox-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        name = f"{time.time_ns():020d}-{next(self._sequence):06d}.eml"
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        partial = self.mail_dir / f".{name}.partial"
        # Write then rename, so a reader never sees half a message.
        partial.write_bytes(headers + content)
        partial.replace(self.mail_dir / name)
        log.info("stored %s for %s", name, envelope.rcpt_tos)
        replies = [a for a in envelope.rcpt_tos if is_reply_address(a)]
        if self.inbound_parse_url and replies:
            await post_reply(self.inbound_parse_url, content, envelope.mail_from or "", replies)
        return "250 Message accepted for delivery"


async def start_smtp_catcher(settings: SmtpCatcherSettings) -> asyncio.Server:
    """Listen on `settings.host:port` in the running loop; the caller closes the server."""
    settings.mail_dir.mkdir(parents=True, exist_ok=True)
    handler = CatcherHandler(settings.mail_dir, settings.inbound_parse_url)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname="jobline-sandbox", enable_SMTPUTF8=True, loop=loop),
        host=settings.host,
        port=settings.port,
    )
