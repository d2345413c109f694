"""The delivery ledger in PostgreSQL (schema ``comms``).

Every state change and the events it causes commit in one transaction (the events go
to ``comms.outbox``). Picking and claiming are separate on purpose: a pick leases a
queued row (a crashed picker's lease just runs out, nothing was sent), while a claim is
the committed promise, made right before the provider call, that this attempt calls.
"""

from collections.abc import Mapping
from typing import Any, cast
from uuid import UUID

import asyncpg

from jobline_comms.adapters.outbox import write_dead_letter, write_event
from jobline_comms.domain.commands import Causation, Command, SendSms
from jobline_comms.domain.events import DeliveryStatusChanged, RecipientOptedIn, RecipientOptedOut
from jobline_comms.domain.model import Channel, State, advances, states_before
from jobline_comms.domain.policy import Decision, on_redelivery
from jobline_comms.domain.replies import OptChange
from jobline_comms.service_layer.ports import Admission, Due, Incoming, Ledger
from jobline_infra.postgres import Connection

Row = Mapping[str, Any]


def _status(row: Row, state: State) -> DeliveryStatusChanged:
    return DeliveryStatusChanged(
        row["delivery_id"],
        row["communication_id"],
        Channel(row["channel"]),
        state,
        row["provider_message_id"],
        row["error_code"],
        row["error_message"],
    )


def _causation(row: Row) -> Causation:
    return Causation(row["tenant_id"], row["command_message_id"], row["correlation_id"])


class PostgresLedger(Ledger):
    """The ledger on an asyncpg pool."""

    def __init__(
        self,
        pool: "asyncpg.Pool[Any]",
        *,
        consumer: str,
        lease_seconds: float = 60.0,
        claim_timeout: float = 120.0,
    ) -> None:
        self._pool, self._consumer = pool, consumer
        self._lease, self._claim_timeout = lease_seconds, claim_timeout

    async def accept(
        self, cmd: Command, sender: str, causation: Causation, incoming: Incoming
    ) -> Admission:
        """Record the command once (by message id) and the delivery once (by delivery
        id). A command for a delivery already under way republishes its known state."""
        async with self._pool.acquire() as conn, conn.transaction():
            first = await conn.fetchval(
                "INSERT INTO comms.processed_commands (message_id, delivery_id)"
                " VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
                causation.message_id,
                cmd.delivery_id,
            )
            if not first:
                return Admission.DUPLICATE
            if await self._insert(conn, cmd, sender, causation, incoming):
                return Admission.NEW
            await self._republish(conn, cmd.delivery_id, causation)
            return Admission.KNOWN

    async def _insert(
        self,
        conn: Connection,
        cmd: Command,
        sender: str,
        causation: Causation,
        incoming: Incoming,
    ) -> bool:
        channel = Channel.SMS if isinstance(cmd, SendSms) else Channel.EMAIL
        return bool(
            await conn.fetchval(
                """INSERT INTO comms.deliveries (delivery_id, tenant_id, communication_id,
                       channel, recipient, sender, state, command, command_key,
                       command_message_id, correlation_id, source_topic, source_partition,
                       source_offset)
                   VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $11, $12, $13)
                   ON CONFLICT (delivery_id) DO NOTHING RETURNING true""",
                cmd.delivery_id,
                cmd.tenant_id,
                cmd.communication_id,
                channel.value,
                cmd.to,
                sender,
                incoming.raw,
                incoming.key,
                causation.message_id,
                causation.correlation_id,
                incoming.topic,
                incoming.partition,
                incoming.offset,
            )
        )

    async def _republish(self, conn: Connection, delivery_id: UUID, causation: Causation) -> None:
        row = await conn.fetchrow(
            "SELECT *, coalesce(claimed_at < now() - $2 * interval '1 second', false) AS stale"
            " FROM comms.deliveries WHERE delivery_id = $1 FOR UPDATE",
            delivery_id,
            self._claim_timeout,
        )
        assert row is not None  # noqa: S101 - the insert just found it
        state = on_redelivery(State(row["state"]), claim_is_stale=row["stale"])
        if state is None:
            return
        if state is State.UNKNOWN and row["state"] == State.CLAIMED:
            row = await self._mark_unknown(conn, delivery_id)
        await write_event(conn, _status(row, state), causation)

    async def _mark_unknown(self, conn: Connection, delivery_id: UUID) -> Row:
        row = await conn.fetchrow(
            """UPDATE comms.deliveries SET state = 'unknown', error_code = 'unknown',
                   error_message = 'the worker stopped during the provider call',
                   updated_at = now()
               WHERE delivery_id = $1 RETURNING *""",
            delivery_id,
        )
        assert row is not None  # noqa: S101 - locked by the caller
        return cast("Row", row)

    async def pick_due(self, limit: int) -> list[Due]:
        """Lease due rows; SKIP LOCKED lets every worker pick without waiting on others."""
        rows = await self._pool.fetch(
            """UPDATE comms.deliveries
               SET lease = gen_random_uuid(), next_attempt_at = now() + $2 * interval '1 second'
               WHERE delivery_id IN (
                   SELECT delivery_id FROM comms.deliveries
                   WHERE state = 'queued' AND next_attempt_at <= now()
                   ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
               RETURNING delivery_id, command, lease""",
            limit,
            self._lease,
        )
        return [Due(r["delivery_id"], r["command"], r["lease"]) for r in rows]

    async def claim(self, due: Due) -> int | None:
        """Committed before the provider is called: from here on, never call again."""
        attempts = await self._pool.fetchval(
            """UPDATE comms.deliveries
               SET state = 'claimed', claimed_at = now(), attempts = attempts + 1,
                   updated_at = now()
               WHERE delivery_id = $1 AND state = 'queued' AND lease = $2
               RETURNING attempts""",
            due.delivery_id,
            due.lease,
        )
        return int(attempts) if attempts is not None else None

    async def settle(self, delivery_id: UUID, decision: Decision) -> bool:
        """Apply ``decision`` (a retry only to a claimed row; others only forward)."""
        allowed = ["claimed"] if decision.state is State.QUEUED else states_before(decision.state)
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """UPDATE comms.deliveries SET state = $2,
                       next_attempt_at = CASE WHEN $3::float8 IS NULL THEN next_attempt_at
                           ELSE now() + $3::float8 * interval '1 second' END,
                       lease = NULL,
                       provider_message_id = coalesce($4, provider_message_id),
                       error_code = $5, error_message = $6, updated_at = now()
                   WHERE delivery_id = $1 AND state = ANY($7::text[]) RETURNING *""",
                delivery_id,
                decision.state.value,
                decision.retry_in,
                decision.provider_message_id,
                decision.error_code,
                decision.error_message,
                [str(s) for s in allowed],
            )
            if row is None:
                return False
            if decision.state is not State.QUEUED:
                await write_event(conn, _status(row, decision.state), _causation(row))
            if decision.dead_letter:
                await write_dead_letter(
                    conn, row, "retries_exhausted", row["error_message"], self._consumer
                )
            return True

    async def expire_claims(self) -> int:
        """Claims older than the call timeout: the worker died mid-call. Their outcome
        is unknown; they wait for a status callback or an operator, never a resend."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT delivery_id FROM comms.deliveries
                   WHERE state = 'claimed' AND claimed_at < now() - $1 * interval '1 second'
                   FOR UPDATE SKIP LOCKED""",
                self._claim_timeout,
            )
            for found in rows:
                row = await self._mark_unknown(conn, found["delivery_id"])
                await write_event(conn, _status(row, State.UNKNOWN), _causation(row))
            return len(rows)

    async def report(
        self,
        delivery_id: UUID | None,
        provider_message_id: str,
        state: State,
        error_code: str | None,
    ) -> bool:
        """Apply a status callback, found by the delivery id the callback URL carries
        (known even when the create call's answer was lost) or else by the sid."""
        by, value = (
            ("delivery_id", delivery_id)
            if delivery_id is not None
            else ("provider_message_id", provider_message_id)
        )
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"SELECT state FROM comms.deliveries WHERE {by} = $1 FOR UPDATE",  # noqa: S608 - a fixed column name
                value,
            )
            if row is None or not advances(State(row["state"]), state):
                return False
            message = f"provider reported {state.value}" if error_code else None
            updated = await conn.fetchrow(
                f"""UPDATE comms.deliveries SET state = $2,
                        provider_message_id = coalesce(provider_message_id, $3),
                        error_code = coalesce($4, error_code),
                        error_message = coalesce($5, error_message), updated_at = now()
                    WHERE {by} = $1 RETURNING *""",  # noqa: S608 - a fixed column name
                value,
                state.value,
                provider_message_id,
                error_code,
                message,
            )
            assert updated is not None  # noqa: S101 - locked above
            await write_event(conn, _status(updated, state), _causation(updated))
            return True

    async def is_opted_out(self, tenant_id: str, phone: str) -> bool:
        return bool(
            await self._pool.fetchval(
                "SELECT opted_out FROM comms.opt_outs WHERE tenant_id = $1 AND phone = $2",
                tenant_id,
                phone,
            )
        )

    async def set_opt(self, tenant_id: str, phone: str, change: OptChange) -> bool:
        """Record the change; an event only when the state actually changed."""
        async with self._pool.acquire() as conn, conn.transaction():
            changed = await conn.fetchval(
                """INSERT INTO comms.opt_outs AS o (tenant_id, phone, opted_out, keyword)
                   VALUES ($1, $2, $3, $4)
                   ON CONFLICT (tenant_id, phone) DO UPDATE
                   SET opted_out = excluded.opted_out, keyword = excluded.keyword, at = now()
                   WHERE o.opted_out IS DISTINCT FROM excluded.opted_out
                   RETURNING (xmax = 0 AND NOT opted_out) IS NOT TRUE""",
                tenant_id,
                phone,
                change.opted_out,
                change.keyword,
            )
            # A first-ever START (a new row saying "not opted out") changes nothing.
            if not changed:
                return False
            event = (
                RecipientOptedOut(phone, change.keyword)
                if change.opted_out
                else RecipientOptedIn(phone, change.keyword)
            )
            await write_event(conn, event, Causation(tenant_id, None, None))
            return True

    async def tenants_texting(self, sender: str, phone: str) -> list[str]:
        rows = await self._pool.fetch(
            "SELECT DISTINCT tenant_id FROM comms.deliveries"
            " WHERE channel = 'sms' AND sender = $1 AND recipient = $2",
            sender,
            phone,
        )
        return sorted(r["tenant_id"] for r in rows)
