"""The consumer edge: what every Jobline subscriber does around its service's handler.

A record is decoded once (:class:`TopicDecoder`) into :class:`Received` (its envelope)
or :class:`Refused` (why not). A message naming a blob key outside its tenant is refused
too (``foreign_blob_key``, :mod:`jobline_contracts.tenancy`), before any handler could
fetch, draw, send or record it. A refused record is dead-lettered. A received one goes to
the service's handler under the one retry policy: infrastructure failures are retried with
backoff and, past the budget, raised, so the subscriber does not commit and the record
comes again; a handler that keeps crashing on it has it dead-lettered as
``handler_error``. The offset is committed when the subscriber returns, after every
effect (and every dead letter) was made.

In batch mode the received records of one poll go to the batch handler at once, under
the same policy but without a second crash: if the batch fails for another reason than
the infrastructure, the fallback hook is told why and each record is handled on its own
as in single mode, so only a poison record is dead-lettered. Refused records are
dead-lettered after the batch, so a batch that is redelivered does not send them twice.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord

from jobline_contracts.codec import UndecodableMessage
from jobline_contracts.dead_letter_kinds import DlqKind
from jobline_contracts.envelope import Envelope
from jobline_contracts.tenancy import foreign_blob_reason
from jobline_contracts.topics import TopicSpec
from jobline_infra.consuming.decoding import TopicDecoder
from jobline_infra.dead_letters import DeadLetters
from jobline_infra.observability.logging import bound
from jobline_infra.retrying import GaveUp, Transient, retrying

log = logging.getLogger(__name__)

Record: TypeAlias = "ConsumerRecord[Any, Any]"

FOREIGN_BLOB_KEY = DlqKind.FOREIGN_BLOB_KEY  # the dead letter's kind


@dataclass(frozen=True, slots=True)
class Received:
    """A record and its typed envelope."""

    record: Record
    envelope: Envelope[Any]


@dataclass(frozen=True, slots=True)
class Refused:
    """A record that is no message of its topic, and why (for its dead letter)."""

    record: Record
    kind: str
    reason: str


Inbound = Received | Refused
Handle = Callable[[Received], Awaitable[object]]
HandleBatch = Callable[[Sequence[Received]], Awaitable[object]]
Fallback = Callable[[BaseException, Sequence[Received]], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are the infrastructure's (waiting helps), and the budgets."""

    transient: Transient
    max_crashes: int = 3
    max_transient_wait: float = 60.0


def applied_one_by_one(error: BaseException, batch: Sequence[Received]) -> None:
    """The default fallback hook: say so."""
    log.info("batch of %d applied one by one: %r", len(batch), error)


class ConsumerEdge:
    """Decoding, retries and dead letters around one topic's handler (see the module)."""

    def __init__(
        self,
        spec: TopicSpec,
        handle: Handle,
        dead_letters: DeadLetters,
        retry: RetryPolicy,
        *,
        handle_batch: HandleBatch | None = None,
        on_fallback: Fallback = applied_one_by_one,
    ) -> None:
        self.spec, self._decoder = spec, TopicDecoder(spec)
        self._handle, self._handle_batch, self._on_fallback = handle, handle_batch, on_fallback
        self._dead_letters, self._retry = dead_letters, retry

    def decode(self, record: Record) -> Inbound:
        try:
            envelope = self._decoder.decode(record.value or b"")
        except UndecodableMessage as bad:
            return Refused(record, bad.kind, bad.reason)
        foreign = foreign_blob_reason(envelope)
        if foreign is not None:
            return Refused(record, FOREIGN_BLOB_KEY, foreign)
        return Received(record, envelope)

    async def consume(self, inbound: Inbound) -> None:
        """One record: dead-letter it if refused, else apply it (see the module)."""
        if isinstance(inbound, Refused):
            await self._refuse(inbound)
            return
        envelope = inbound.envelope
        ids = {
            "correlation_id": str(envelope.correlation_id),
            "message_id": str(envelope.message_id),
        }
        with bound(**ids):
            try:
                await self._retrying(lambda: self._handle(inbound), envelope.message_id)
            except GaveUp as gave_up:
                log.error("giving up on %s", envelope.message_id, exc_info=gave_up.error)  # noqa: TRY400 - the handler's error, not this one
                await self._dead_letters.send(inbound.record, DlqKind.HANDLER_ERROR, gave_up.reason)

    async def consume_batch(self, inbounds: Sequence[Inbound]) -> None:
        """The records of one poll: the received ones in one go, then the refused ones."""
        received = [inbound for inbound in inbounds if isinstance(inbound, Received)]
        if received and self._handle_batch is not None:
            handle_batch = self._handle_batch
            try:
                await self._retrying(
                    lambda: handle_batch(received), f"a batch of {len(received)}", max_crashes=1
                )
            except GaveUp as gave_up:
                self._on_fallback(gave_up.error, received)
                for one in received:
                    await self.consume(one)
        else:
            for one in received:
                await self.consume(one)
        for inbound in inbounds:
            if isinstance(inbound, Refused):
                await self._refuse(inbound)

    async def _retrying(
        self, attempt: Callable[[], Awaitable[object]], label: object, max_crashes: int = 0
    ) -> None:
        await retrying(
            attempt,
            transient=self._retry.transient,
            label=label,
            max_crashes=max_crashes or self._retry.max_crashes,
            max_transient_wait=self._retry.max_transient_wait,
        )

    async def _refuse(self, refused: Refused) -> None:
        await self._dead_letters.send(refused.record, refused.kind, refused.reason)
