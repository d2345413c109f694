"""The dispatcher: picks due deliveries and attempts each one.

First attempts and retries take the same path: the consumer only records a delivery as
due, and a retry is the same delivery due again later. Every worker process runs one;
they share the work through the database (SKIP LOCKED), not through Kafka partitions.
It also turns claims whose worker died mid-call into ``unknown``.
"""

import asyncio
import contextlib
import logging
import time

import asyncpg

from jobline_comms.domain.commands import Command, channel_of
from jobline_comms.domain.model import DeliveryStatus
from jobline_comms.service_layer.handlers import Services, attempt_delivery, expire_claims
from jobline_comms.service_layer.ports import Picked
from jobline_infra.observability import metrics, tracing
from jobline_infra.observability.logging import bound
from jobline_infra.retrying import until_stopped

log = logging.getLogger(__name__)

_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Dispatcher:
    def __init__(
        self,
        services: Services,
        *,
        concurrency: int = 32,
        poll_interval: float = 0.5,
        sweep_interval: float = 10.0,
    ) -> None:
        self._services = services
        self._concurrency, self._poll = concurrency, poll_interval
        self._sweep_interval = sweep_interval
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_sweep = 0.0

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set, then let the attempts in flight finish."""
        next_due = until_stopped(_DB_ERRORS, stop, "dispatcher")
        while not stop.is_set():
            self._wake.clear()
            free = self._concurrency - len(self._tasks)
            try:
                picked: list[Picked] = await next_due(self._next_due, free)
            except _DB_ERRORS:  # raised only once stopping
                break
            for due in picked:
                task = asyncio.create_task(self._attempt(due))
                self._tasks.add(task)
                task.add_done_callback(self._finished)
            if picked and len(picked) == free:
                continue  # more may be due, and there is room
            await _wait_any(stop, self._wake, self._poll)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)

    async def _next_due(self, free: int) -> list[Picked]:
        """Turn expired claims into ``unknown`` now and then; pick what is due, if room."""
        if time.monotonic() - self._last_sweep > self._sweep_interval:
            await expire_claims(self._services)
            self._last_sweep = time.monotonic()
        return await self._services.attempts.pick_due(free) if free > 0 else []

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # room for another attempt

    async def _attempt(self, picked: Picked) -> None:
        # A child of the request that asked for the delivery (its traceparent is kept
        # with it), however much later and on whichever worker the attempt runs.
        delivery_id = str(picked.delivery.delivery_id)
        with (
            tracing.continued("comms attempt", picked.traceparent, delivery_id=delivery_id),
            bound(delivery_id=delivery_id),
        ):
            try:
                with bound(correlation_id=str(picked.delivery.causation.correlation_id)):
                    status = await attempt_delivery(picked, self._services)
                    _observe(picked.command, status)
            except Exception:
                # The row stays queued (its lease runs out and it is picked again) or, if it
                # was claimed, turns unknown after the claim timeout: never a blind resend.
                log.exception("attempt of delivery %s failed", delivery_id)


def _observe(command: Command, status: DeliveryStatus | None) -> None:
    """Count the outcome; the recipient is logged for operators, masked as personal data."""
    if status is None:
        return  # another worker took it
    channel = channel_of(command).value
    metrics.DELIVERIES.labels(channel, status.value).inc()
    log.info("delivery by %s to %s: %s", channel, command.to, status.value)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())}
    with contextlib.suppress(TimeoutError):
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
