"""Signed status callbacks, posted the way Twilio posts them."""

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator

from jobline_sandboxes.twilio_sandbox.state import CallbackAttempt, ReceivedCreate

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Signature"


def callback_params(message: dict[str, Any], status: str, error_code: int | None) -> dict[str, str]:
    """The form fields of one status callback (those Twilio sends for outbound SMS)."""
    params = {
        "AccountSid": message["account_sid"],
        "ApiVersion": "2010-04-01",
        "From": message["from"],
        "MessageSid": message["sid"],
        "MessageStatus": status,
        "SmsSid": message["sid"],
        "SmsStatus": status,
        "To": message["to"],
    }
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return params


class CallbackSender:
    """Posts `sent` and then the final status of one message to its StatusCallback URL."""

    def __init__(self, client: aiohttp.ClientSession, auth_token: str, delay_s: float) -> None:
        self._client = client
        self._validator = RequestValidator(auth_token)
        self._delay_s = delay_s

    async def run(
        self,
        record: ReceivedCreate,
        message: dict[str, Any],
        final: tuple[str, int | None],
    ) -> None:
        """Walk the message through `sent` and `final`, one callback each, in order."""
        final_status, error_code = final
        for status, code in (("sent", None), (final_status, error_code)):
            await asyncio.sleep(self._delay_s)
            message["status"] = status
            message["error_code"] = code
            message["date_updated"] = format_datetime(datetime.now(UTC))
            if status == "sent":
                message["date_sent"] = message["date_updated"]
            if record.status_callback:
                params = callback_params(message, status, code)
                record.callbacks.append(await self._post(record.status_callback, params))

    async def _post(self, url: str, params: dict[str, str]) -> CallbackAttempt:
        # The signature covers the exact URL given as StatusCallback plus the form fields.
        signature = self._validator.compute_signature(url, params)
        headers = {SIGNATURE_HEADER: signature, "User-Agent": "TwilioProxy/1.1"}
        status = params["MessageStatus"]
        try:
            async with self._client.post(url, data=params, headers=headers) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("status callback %s to %s failed: %r", status, url, error)
            return CallbackAttempt(status, None, repr(error))
        if not response.ok:
            log.warning("status callback %s to %s answered %s", status, url, response.status)
        return CallbackAttempt(status, response.status)
