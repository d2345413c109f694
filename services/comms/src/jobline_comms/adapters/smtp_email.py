"""Email through aiosmtplib; each message is built here from the domain's OutgoingEmail
and streamed to the server (:mod:`jobline_comms.adapters.mime_stream`)."""

import asyncio
from collections.abc import Iterator
from email.utils import parseaddr

import aiosmtplib
from aiosmtplib import SMTPStatus

from jobline_comms.adapters.mime_stream import build_skeleton, streamed
from jobline_comms.adapters.provider_calls import timed_call
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import (
    Accepted,
    Ambiguous,
    Outcome,
    Refused,
    Transient,
    classify_smtp_reply,
)
from jobline_comms.service_layer.ports import EmailProvider


class SmtpEmail(EmailProvider):
    """One SMTP connection per message (simple, and nothing to keep alive)."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0) -> None:
        self._host, self._port, self._timeout = host, port, timeout

    async def send(self, email: OutgoingEmail) -> Outcome:
        """Send; 4xx and connection failures are transient, 5xx final (timed and traced)."""
        return await timed_call("smtp", "send", email.delivery_id, self._send(email))

    async def _send(self, email: OutgoingEmail) -> Outcome:
        try:
            build_skeleton(email, DOMAIN)  # refuse what cannot be built before connecting
        except (ValueError, TypeError) as error:  # e.g. a line break in a header
            return _unbuildable(error)
        client = aiosmtplib.SMTP(hostname=self._host, port=self._port, timeout=self._timeout)
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            return Transient("connect", f"{type(error).__name__}: {error}")
        try:
            return await self._converse(client, email)
        finally:
            if client.is_connected:
                client.close()

    async def _converse(self, client: aiosmtplib.SMTP, email: OutgoingEmail) -> Outcome:
        """Connected: the mail transaction, and what its replies mean."""
        try:
            await self._transact(client, email)
        except _Unbuildable as error:
            return _unbuildable(error.__cause__ or error)
        except aiosmtplib.SMTPRecipientRefused as error:
            return classify_smtp_reply(error.code, error.message, recipient_refused=True)
        except aiosmtplib.SMTPResponseException as error:
            return classify_smtp_reply(error.code, error.message, recipient_refused=False)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # Mid-conversation: the server may have taken the message.
            return Ambiguous(f"{type(error).__name__}: {error}")
        return Accepted(f"<{email.delivery_id}@{DOMAIN}>")

    async def _transact(self, client: aiosmtplib.SMTP, email: OutgoingEmail) -> None:
        """EHLO, MAIL, RCPT, then DATA streamed (see the module)."""
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()  # a server without ESMTP
        sender, options = parseaddr(email.sender)[1] or email.sender, []
        utf8 = not (sender + email.to).isascii()
        if utf8:
            if not client.supports_extension("smtputf8"):
                raise aiosmtplib.SMTPNotSupported("a non-ASCII address needs SMTPUTF8")
            options.append("SMTPUTF8")
        eight_bit = client.supports_extension("8bitmime")
        if eight_bit:
            options.append("BODY=8BITMIME")
        try:
            message = streamed(
                email, utf8=utf8, cte_type="8bit" if eight_bit else "7bit", domain=DOMAIN
            )
        except (ValueError, TypeError) as error:
            raise _Unbuildable from error
        encoding = "utf-8" if utf8 else "ascii"
        await client.mail(sender, options=options, encoding=encoding)
        await client.rcpt(email.to, encoding=encoding)
        await _data(client, message.chunks(), drain_within=self._timeout)


class _Unbuildable(Exception):
    """The message could not be flattened for this server."""


DOMAIN = "jobline.local"


def _unbuildable(error: BaseException) -> Refused:
    return Refused(DeliveryStatus.FAILED, "unbuildable", f"the message cannot be built: {error}")


async def _data(client: aiosmtplib.SMTP, chunks: Iterator[bytes], *, drain_within: float) -> None:
    """SMTP DATA, its content written a chunk at a time as the socket takes it.

    aiosmtplib's ``data()`` takes the whole message as one bytes object (and copies it
    while preparing it), so the chunks go through its protocol's transport with flow
    control, and the closing ``.`` line is sent as a command, so that aiosmtplib reads
    the server's answer to it as it reads any other."""
    start = await client.execute_command(b"DATA")
    if start.code != SMTPStatus.start_input:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    for chunk in chunks:
        protocol = client.protocol
        if protocol is None or not protocol.is_connected:
            raise aiosmtplib.SMTPServerDisconnected("connection lost during DATA")
        protocol.write(chunk)
        # The stdlib's drain (aiosmtplib's copy of it): wait while the transport's
        # buffer is over its high-water mark, so no more than that is ever queued.
        async with asyncio.timeout(drain_within):
            await protocol._drain_helper()
    done = await client.execute_command(b".")
    if done.code != SMTPStatus.completed:
        raise aiosmtplib.SMTPDataError(done.code, done.message)
