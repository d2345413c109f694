"""Email through the official ``sendgrid`` SDK (v3 Mail Send), at a configurable host.

The SDK's client is synchronous (urllib), so each call runs on a thread of this adapter's
own pool: a slow SendGrid never blocks the event loop, and the pool bounds the calls in
flight. The delivery id travels as the message's custom arg ``delivery_id`` (SendGrid
copies it into every event about the message) and in its ``Message-ID``, so an event
finds its delivery even when the send's answer (the ``X-Message-Id``) was lost.
"""

import asyncio
import base64
import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from email.utils import parseaddr
from functools import partial
from urllib.error import URLError

from opentelemetry.trace import SpanKind
from python_http_client.client import Response
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Header,
    Mail,
    ReplyTo,
    To,
)

from jobline_comms.adapters.provider_calls import timed_call
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.email_events import DELIVERY_ID_ARG, history_event, settled_by
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.domain.outcomes import (
    Accepted,
    Ambiguous,
    Outcome,
    Refused,
    Transient,
)
from jobline_comms.service_layer.ports import EmailProvider, ProviderStatus
from jobline_infra.observability import tracing
from jobline_infra.observability.metrics import PROVIDER_CALLS, Stopwatch

DOMAIN = "jobline.local"  # as the SMTP adapter's Message-ID: one way to trace a copy


def mail_of(email: OutgoingEmail) -> Mail:
    """The v3 Mail Send request for one email to one recipient."""
    sender_name, sender_address = parseaddr(email.sender)
    mail = Mail(
        from_email=From(sender_address or email.sender, sender_name or None),
        to_emails=To(email.to, email.to_name),
        subject=email.subject,
        plain_text_content=email.body_text,
    )
    if email.reply_to:
        mail.reply_to = ReplyTo(email.reply_to)
    mail.custom_arg = CustomArg(DELIVERY_ID_ARG, str(email.delivery_id))
    mail.header = Header("Message-ID", f"<{email.delivery_id}@{DOMAIN}>")
    for file in email.attachments:
        mail.attachment = Attachment(
            FileContent(base64.b64encode(file.data).decode("ascii")),
            FileName(file.filename),
            FileType(file.content_type),
            Disposition("attachment"),
        )
    return mail


def classify_sendgrid_error(http_status: int, body: bytes) -> Outcome:
    """A Mail Send error answer: 429 and 5xx are worth retrying; other 4xx are final,
    with SendGrid's own words (``{"errors": [{"message": …}]}``)."""
    message = _error_message(body) or f"HTTP {http_status}"
    if http_status == 429 or http_status >= 500:
        return Transient(str(http_status), message)
    return Refused(DeliveryStatus.FAILED, str(http_status), message)


def _error_message(body: bytes) -> str:
    try:
        errors = json.loads(body).get("errors") or []
        return "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        return body[:500].decode("utf-8", "replace")


class SendgridEmail(EmailProvider):
    """``client.send(mail)`` with no retries of its own: retrying is the ledger's
    decision, one claimed attempt at a time."""

    def __init__(
        self, api_key: str, *, host: str, timeout: float = 15.0, max_calls: int = 16
    ) -> None:
        self._client = SendGridAPIClient(api_key, host=host)
        self._timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=max_calls, thread_name_prefix="sendgrid")

    async def send(self, email: OutgoingEmail) -> Outcome:
        """Send; classify the answer or the failure (timed and traced)."""
        return await timed_call("sendgrid", "mail.send", email.delivery_id, self._send(email))

    async def _send(self, email: OutgoingEmail) -> Outcome:
        try:
            body = mail_of(email).get()
        except (ValueError, TypeError) as error:  # the SDK's own checks of the request
            return Refused(DeliveryStatus.FAILED, "unbuildable", f"cannot be built: {error}")
        loop = asyncio.get_running_loop()
        try:
            response: Response = await loop.run_in_executor(self._pool, partial(self._post, body))
        except HTTPError as error:
            return classify_sendgrid_error(error.status_code, error.body or b"")
        except URLError as error:
            # urllib raises URLError while connecting and writing the request: the
            # request was never complete, so SendGrid cannot have taken the message.
            return Transient("connect", str(error.reason))
        except (OSError, TimeoutError, http.client.HTTPException) as error:
            # Sent, and no answer came back (read timeout, disconnect): SendGrid may have
            # taken it. Resending could email twice; its events may still settle it.
            return Ambiguous(f"{type(error).__name__}: {error}")
        return Accepted(response.headers.get("X-Message-Id") or None)

    def _post(self, body: dict[str, object]) -> Response:
        # The SDK's client.send() takes no timeout; its HTTP client's post() does.
        response: Response = self._client.client.mail.send.post(
            request_body=body, timeout=self._timeout
        )
        return response

    async def status(self, provider_message_id: str) -> ProviderStatus:
        """The message's events from the Email Activity API (``GET /v3/messages/{id}``),
        read as the webhook would have brought them. Raises if SendGrid cannot say."""
        loop = asyncio.get_running_loop()
        with (
            Stopwatch() as watch,
            tracing.span("sendgrid messages.get", SpanKind.CLIENT, msg_id=provider_message_id),
        ):
            response = await loop.run_in_executor(
                self._pool, partial(self._get_message, provider_message_id)
            )
        PROVIDER_CALLS.labels("sendgrid", "status_check").observe(watch.seconds)
        history = json.loads(response.body or b"{}").get("events") or []
        events = (history_event(provider_message_id, raw) for raw in history)
        report = settled_by(e for e in events if e is not None)
        if report is None:
            return ProviderStatus(None)
        return ProviderStatus(report.status, report.error_code, report.error_message)

    def _get_message(self, provider_message_id: str) -> Response:
        response: Response = self._client.client.messages._(provider_message_id).get(
            timeout=self._timeout
        )
        return response

    async def close(self) -> None:
        """Let calls in flight finish on their threads."""
        await asyncio.to_thread(self._pool.shutdown)
