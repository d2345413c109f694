"""Status checks: ask Twilio about texts it accepted whose final status never came (and
SendGrid, through its Email Activity API, about emails whose events never came).

Twilio sends each status callback once. If ours was down or the network dropped it, the
delivery would stay ``sent`` for ever and the operator would never see ``delivered`` or
``failed``. Every worker runs this loop; each overdue text goes to one worker
(SKIP LOCKED), asks again after ever longer waits while the carrier has not reported, and
not at all once a text is older than a status worth asking for.
"""

import asyncio
import contextlib
import logging

import aiohttp
import asyncpg
from python_http_client.exceptions import HTTPError as SendgridError
from twilio.base.exceptions import TwilioRestException

from jobline_comms.service_layer.handlers import Services, check_status
from jobline_comms.service_layer.ports import StatusCheck

log = logging.getLogger(__name__)

_FAILURES = (
    OSError,
    TimeoutError,
    aiohttp.ClientError,
    TwilioRestException,
    SendgridError,
    ValueError,  # an answer that is not JSON
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


class StatusChecks:
    def __init__(self, services: Services, *, after: float, give_up_after: float) -> None:
        self._services = services
        self._after, self._give_up_after = after, give_up_after

    async def run(self, stop: asyncio.Event) -> None:
        """Check what is overdue, then wait; until ``stop`` is set."""
        every = min(self._after, 10.0)
        while not stop.is_set():
            try:
                due = await self._services.reports.due_status_checks(
                    self._after, self._give_up_after
                )
            except _FAILURES as error:
                log.warning("status checks: %s; trying again in %.0fs", error, every)
                due = []
            await asyncio.gather(*(self._check(check) for check in due))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def _check(self, check: StatusCheck) -> None:
        try:
            moved_to = await check_status(check, self._services)
        except _FAILURES as error:
            # Asked again after the same wait: a failed check costs time, never a text.
            log.warning("status check of delivery %s failed: %r", check.delivery_id, error)
            return
        if moved_to is not None:
            log.info("delivery %s: %s (status check)", check.delivery_id, moved_to.value)
