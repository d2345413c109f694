"""Email through aiosmtplib; each message is built here from the domain's OutgoingEmail."""

from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib
from opentelemetry.trace import SpanKind

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
from jobline_infra.observability import tracing
from jobline_infra.observability.metrics import PROVIDER_CALLS, Stopwatch


def build_message(email: OutgoingEmail, domain: str = "jobline.local") -> EmailMessage:
    """The MIME message. Its Message-ID is derived from the delivery id, so a copy in any
    mailbox (or a catcher's file) traces back to exactly one delivery."""
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = formataddr((email.to_name, email.to)) if email.to_name else email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{email.delivery_id}@{domain}>"
    message.set_content(email.body_text)
    for file in email.attachments:
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(
            file.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=file.filename,
        )
    return message


class SmtpEmail(EmailProvider):
    """One SMTP connection per message (simple, and nothing to keep alive)."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0) -> None:
        self._host, self._port, self._timeout = host, port, timeout

    async def send(self, email: OutgoingEmail) -> Outcome:
        """Send; 4xx and connection failures are transient, 5xx final (timed and traced)."""
        with (
            Stopwatch() as watch,
            tracing.span("smtp send", SpanKind.CLIENT, delivery_id=str(email.delivery_id)),
        ):
            outcome = await self._send(email)
        PROVIDER_CALLS.labels("smtp", type(outcome).__name__.lower()).observe(watch.seconds)
        return outcome

    async def _send(self, email: OutgoingEmail) -> Outcome:
        try:
            message = build_message(email)
        except (ValueError, TypeError) as error:  # e.g. a line break in a header
            return Refused(
                DeliveryStatus.FAILED, "unbuildable", f"the message cannot be built: {error}"
            )
        client = aiosmtplib.SMTP(hostname=self._host, port=self._port, timeout=self._timeout)
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            return Transient("connect", f"{type(error).__name__}: {error}")
        try:
            await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            first = error.recipients[0]
            return classify_smtp_reply(first.code, first.message, recipient_refused=True)
        except aiosmtplib.SMTPResponseException as error:
            return classify_smtp_reply(error.code, error.message, recipient_refused=False)
        except (aiosmtplib.SMTPException, OSError) as error:
            # Connected and mid-conversation: the server may have taken the message.
            return Ambiguous(f"{type(error).__name__}: {error}")
        finally:
            if client.is_connected:
                client.close()
        return Accepted(f"<{email.delivery_id}@jobline.local>")
