"""The intake of send commands: each command's deduplication record
(``comms.processed_messages``) and its delivery, queued, for a whole batch at once."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from jobline_comms.adapters.delivery_rows import COLUMNS, content_of, delivery_of
from jobline_comms.domain.commands import channel_of
from jobline_comms.domain.delivery import Delivery
from jobline_comms.service_layer.ports import Acceptance, Admission
from jobline_comms.service_layer.unit_of_work import Intake
from jobline_infra.postgres import Connection

_INSERT = """
INSERT INTO comms.deliveries (delivery_id, tenant_id, communication_id, channel, recipient,
    sender, status, content, command, command_key, command_message_id, correlation_id,
    source_topic, source_partition, source_offset, traceparent)
SELECT d, t, c, ch, r, s, 'queued', content, cmd, k, m, corr, top, p, o, tp
FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],
    $7::jsonb[], $8::bytea[], $9::bytea[], $10::uuid[], $11::uuid[], $12::text[],
    $13::int4[], $14::int8[], $15::text[])
    AS v(d, t, c, ch, r, s, content, cmd, k, m, corr, top, p, o, tp)
ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id"""


class PostgresIntake(Intake):
    """Inside a unit of work's transaction (``conn``)."""

    def __init__(self, conn: Connection, consumer: str, claim_timeout: float) -> None:
        self._conn, self._consumer, self._claim_timeout = conn, consumer, claim_timeout

    async def add(self, batch: Sequence[Acceptance]) -> list[Admission]:
        """Two statements for the whole batch."""
        if not batch:
            return []
        # Sorted keys: concurrent batches take the unique-index locks in one order.
        order = sorted(batch, key=lambda a: str(a.causation.message_id))
        recorded = {
            r["message_id"]
            for r in await self._conn.fetch(
                "INSERT INTO comms.processed_messages (consumer, message_id, delivery_id)"
                " SELECT $1::text, * FROM unnest($2::uuid[], $3::uuid[])"
                " ON CONFLICT DO NOTHING RETURNING message_id",
                self._consumer,
                [a.causation.message_id for a in order],
                [a.cmd.delivery_id for a in order],
            )
        }
        firsts = []  # the first sight of each newly recorded message id
        for a in batch:
            if a.causation.message_id in recorded:
                recorded.discard(a.causation.message_id)
                firsts.append(a)
        inserted = await self._insert(firsts)
        known = {id(a) for a in firsts}
        answers = []
        for a in batch:
            if id(a) not in known:
                answers.append(Admission.DUPLICATE)
            elif a.cmd.delivery_id in inserted:
                inserted.discard(a.cmd.delivery_id)
                answers.append(Admission.NEW)
            else:
                answers.append(Admission.KNOWN)
        return answers

    async def _insert(self, batch: Sequence[Acceptance]) -> set[UUID]:
        """Insert the deliveries (queued, due now); the ids actually inserted."""
        if not batch:
            return set()
        rows = sorted(batch, key=lambda a: str(a.cmd.delivery_id))
        columns: list[list[Any]] = [
            [a.cmd.delivery_id for a in rows],
            [a.cmd.tenant_id for a in rows],
            [a.cmd.communication_id for a in rows],
            [channel_of(a.cmd).value for a in rows],
            [a.cmd.to for a in rows],
            [a.sender for a in rows],
            [content_of(a.cmd) for a in rows],
            [a.incoming.raw for a in rows],
            [a.incoming.key for a in rows],
            [a.causation.message_id for a in rows],
            [a.causation.correlation_id for a in rows],
            [a.incoming.topic for a in rows],
            [a.incoming.partition for a in rows],
            [a.incoming.offset for a in rows],
            [a.incoming.traceparent for a in rows],
        ]
        return {r["delivery_id"] for r in await self._conn.fetch(_INSERT, *columns)}

    async def known(self, delivery_ids: Sequence[UUID]) -> dict[UUID, Delivery]:
        if not delivery_ids:
            return {}
        rows = await self._conn.fetch(
            f"SELECT {COLUMNS}, coalesce(claimed_at < now() - $2 * interval '1 second', false)"  # noqa: S608 - fixed columns
            " AS claim_expired FROM comms.deliveries WHERE delivery_id = ANY($1::uuid[])"
            " ORDER BY delivery_id FOR UPDATE",
            list(delivery_ids),
            self._claim_timeout,
        )
        return {r["delivery_id"]: delivery_of(r, claim_expired=r["claim_expired"]) for r in rows}

    async def forget(self, message_ids: Sequence[UUID]) -> None:
        if message_ids:
            await self._conn.execute(
                "DELETE FROM comms.processed_messages"
                " WHERE consumer = $1 AND message_id = ANY($2::uuid[])",
                self._consumer,
                list(message_ids),
            )
