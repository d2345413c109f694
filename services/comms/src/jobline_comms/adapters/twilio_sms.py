"""SMS through the official twilio SDK's async client, at a configurable base URL."""

import logging
from uuid import UUID

import aiohttp
from opentelemetry.trace import SpanKind
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from jobline_comms.adapters.provider_calls import timed_call
from jobline_comms.domain.outcomes import (
    Accepted,
    Ambiguous,
    Outcome,
    Transient,
    classify_twilio_error,
)
from jobline_comms.domain.replies import provider_status
from jobline_comms.service_layer.ports import ProviderStatus, SmsProvider
from jobline_infra.observability import tracing
from jobline_infra.observability.metrics import PROVIDER_CALLS, Stopwatch

log = logging.getLogger(__name__)


def status_callback_url(callback_url: str, delivery_id: UUID) -> str:
    """The status callback for one delivery. It carries the delivery id, so a callback
    finds its delivery even when the create call's answer (the sid) was lost."""
    return f"{callback_url}?delivery_id={delivery_id}"


class TwilioSms(SmsProvider):
    """``messages.create_async`` with no retries inside the SDK: retrying is the
    ledger's decision, one claimed attempt at a time."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str,
        callback_url: str,
        timeout: float = 15.0,
    ) -> None:
        # Built inside the running loop (bootstrap): the aiohttp session binds to it.
        self._http = AsyncTwilioHttpClient(timeout=timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._client.api.base_url = base_url
        self._callback_url = callback_url

    async def send(self, delivery_id: UUID, to: str, sender: str, body: str) -> Outcome:
        """Create the message; classify the answer or the failure (timed and traced)."""
        created = self._create(delivery_id, to, sender, body)
        return await timed_call("twilio", "messages.create", delivery_id, created)

    async def _create(self, delivery_id: UUID, to: str, sender: str, body: str) -> Outcome:
        try:
            message = await self._client.messages.create_async(
                to=to,
                from_=sender,
                body=body,
                status_callback=status_callback_url(self._callback_url, delivery_id),
            )
        except TwilioRestException as error:
            return classify_twilio_error(error.status, error.code, str(error.msg))
        except aiohttp.ClientConnectorError as error:
            # Not connected: the request certainly never reached Twilio.
            return Transient("connect", str(error))
        except (aiohttp.ClientError, TimeoutError) as error:
            # The request may have reached Twilio: resending could text the customer
            # twice, so the outcome is unknown (a status callback may still settle it).
            return Ambiguous(f"{type(error).__name__}: {error}")
        return Accepted(message.sid)

    async def status(self, provider_message_id: str) -> ProviderStatus:
        """``messages(sid).fetch_async()``: the status Twilio has for the message now."""
        with (
            Stopwatch() as watch,
            tracing.span("twilio messages.fetch", SpanKind.CLIENT, sid=provider_message_id),
        ):
            message = await self._client.messages(provider_message_id).fetch_async()
        PROVIDER_CALLS.labels("twilio", "status_check").observe(watch.seconds)
        code = message.error_code
        return ProviderStatus(
            provider_status(str(message.status or "")), str(code) if code is not None else None
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._http.close()
