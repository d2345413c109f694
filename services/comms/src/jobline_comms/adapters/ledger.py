"""The delivery ledger in PostgreSQL (schema ``comms``).

Every state change and the events it causes commit in one transaction (the events go
to ``comms.outbox``). Picking and claiming are separate on purpose: a pick leases a
queued row (a crashed picker's lease just runs out, nothing was sent), while a claim is
the committed promise, made right before the provider call, that this attempt calls.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from uuid import UUID

import asyncpg

from jobline_comms.adapters.batching import Batcher, rounds
from jobline_comms.adapters.outbox import write_dead_letter, write_event, write_events
from jobline_comms.domain.commands import Causation, Command, SendSms
from jobline_comms.domain.events import DeliveryStatusChanged, RecipientOptedIn, RecipientOptedOut
from jobline_comms.domain.model import Channel, State, advances, states_before
from jobline_comms.domain.policy import Decision, on_redelivery
from jobline_comms.domain.replies import OptChange
from jobline_comms.service_layer.ports import (
    Acceptance,
    Admission,
    Due,
    Incoming,
    Ledger,
    StatusCheck,
)
from jobline_infra.observability.tracing import current_traceparent
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


T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class _Settling:
    delivery_id: UUID
    decision: Decision
    traceparent: str | None


@dataclass(frozen=True)
class _Report:
    delivery_id: UUID | None
    provider_message_id: str
    state: State
    error_code: str | None
    traceparent: str | None


async def _each_alone(
    items: Sequence[T], run: Callable[[Sequence[T]], Awaitable[Sequence[R | Exception]]]
) -> list[R | Exception]:
    """A batch failed in the database: run each item by itself (its own transaction), so
    one item's failure is that item's answer alone."""
    answers: list[R | Exception] = []
    for item in items:
        try:
            answers.extend(await run([item]))
        except Exception as error:  # handed to that item's caller
            answers.append(error)
    return answers


class PostgresLedger(Ledger):
    """The ledger on an asyncpg pool. Claims, settlements, status reports and opt-out
    checks made concurrently by the attempts in flight go to the database together
    (:class:`Batcher`), each caller still awaiting its own committed answer."""

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
        self._claims = Batcher(self._claim_batch)
        self._settlements = Batcher(self._settle_batch)
        self._reports = Batcher(self._report_batch)
        self._opt_outs = Batcher(self._opted_out_batch)

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

    async def accept_many(self, batch: Sequence[Acceptance]) -> list[Admission]:
        """:meth:`accept` for a whole batch in one transaction and two statements; the
        answers are those accepting them one by one, in order, would give."""
        if not batch:
            return []
        # Sorted keys: concurrent batches take the unique-index locks in one order.
        order = sorted(range(len(batch)), key=lambda i: str(batch[i].causation.message_id))
        async with self._pool.acquire() as conn, conn.transaction():
            recorded = {
                r["message_id"]
                for r in await conn.fetch(
                    "INSERT INTO comms.processed_commands (message_id, delivery_id)"
                    " SELECT * FROM unnest($1::uuid[], $2::uuid[])"
                    " ON CONFLICT DO NOTHING RETURNING message_id",
                    [batch[i].causation.message_id for i in order],
                    [batch[i].cmd.delivery_id for i in order],
                )
            }
            firsts = []  # the first sight of each newly recorded message id
            for a in batch:
                if a.causation.message_id in recorded:
                    recorded.discard(a.causation.message_id)
                    firsts.append(a)
            inserted = await self._insert_many(conn, firsts)
            known = {id(a) for a in firsts}
            answers = []
            for a in batch:
                if id(a) not in known:
                    answers.append(Admission.DUPLICATE)
                elif a.cmd.delivery_id in inserted:
                    inserted.discard(a.cmd.delivery_id)
                    answers.append(Admission.NEW)
                else:
                    await self._republish(conn, a.cmd.delivery_id, a.causation)
                    answers.append(Admission.KNOWN)
            return answers

    async def _insert_many(self, conn: Connection, batch: Sequence[Acceptance]) -> set[UUID]:
        """Insert the deliveries (queued, due now); the ids actually inserted."""
        if not batch:
            return set()
        rows = sorted(batch, key=lambda a: str(a.cmd.delivery_id))
        columns: list[list[Any]] = [
            [a.cmd.delivery_id for a in rows],
            [a.cmd.tenant_id for a in rows],
            [a.cmd.communication_id for a in rows],
            [(Channel.SMS if isinstance(a.cmd, SendSms) else Channel.EMAIL).value for a in rows],
            [a.cmd.to for a in rows],
            [a.sender for a in rows],
            [a.incoming.raw for a in rows],
            [a.incoming.key for a in rows],
            [a.causation.message_id for a in rows],
            [a.causation.correlation_id for a in rows],
            [a.incoming.topic for a in rows],
            [a.incoming.partition for a in rows],
            [a.incoming.offset for a in rows],
            [a.incoming.traceparent for a in rows],
        ]
        found = await conn.fetch(
            """INSERT INTO comms.deliveries (delivery_id, tenant_id, communication_id,
                   channel, recipient, sender, state, command, command_key,
                   command_message_id, correlation_id, source_topic, source_partition,
                   source_offset, traceparent)
               SELECT d, t, c, ch, r, s, 'queued', cmd, k, m, corr, top, p, o, tp
               FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                   $6::text[], $7::bytea[], $8::bytea[], $9::uuid[], $10::uuid[],
                   $11::text[], $12::int4[], $13::int8[], $14::text[])
                   AS v(d, t, c, ch, r, s, cmd, k, m, corr, top, p, o, tp)
               ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id""",
            *columns,
        )
        return {r["delivery_id"] for r in found}

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
                       source_offset, traceparent)
                   VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $11, $12, $13,
                       $14)
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
                incoming.traceparent,
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
               RETURNING delivery_id, command, lease, traceparent""",
            limit,
            self._lease,
        )
        return [Due(r["delivery_id"], r["command"], r["lease"], r["traceparent"]) for r in rows]

    async def claim(self, due: Due) -> int | None:
        """Committed before the provider is called: from here on, never call again."""
        return await self._claims(due)

    async def _claim_batch(self, dues: Sequence[Due]) -> list[int | Exception | None]:
        answers: list[int | Exception | None] = [None] * len(dues)
        for positions in rounds(dues, lambda due: due.delivery_id):
            # Rows locked in id order: batches running at once never deadlock.
            found = await self._pool.fetch(
                """WITH v AS (SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS v(id, lease)),
                   locked AS (
                       SELECT d.delivery_id FROM comms.deliveries d JOIN v ON v.id = d.delivery_id
                       WHERE d.state = 'queued' AND d.lease = v.lease
                       ORDER BY d.delivery_id FOR UPDATE OF d)
                   UPDATE comms.deliveries d
                   SET state = 'claimed', claimed_at = now(), attempts = d.attempts + 1,
                       updated_at = now()
                   FROM v WHERE v.id = d.delivery_id AND d.state = 'queued' AND d.lease = v.lease
                       AND d.delivery_id IN (SELECT delivery_id FROM locked)
                   RETURNING d.delivery_id, d.attempts""",
                [dues[i].delivery_id for i in positions],
                [dues[i].lease for i in positions],
            )
            attempts = {r["delivery_id"]: int(r["attempts"]) for r in found}
            for i in positions:
                answers[i] = attempts.get(dues[i].delivery_id)
        return answers

    async def settle(self, delivery_id: UUID, decision: Decision) -> bool:
        """Apply ``decision`` (a retry only to a claimed row; others only forward)."""
        # The event names the attempt that caused it; the batch runs in no caller's span.
        return await self._settlements(_Settling(delivery_id, decision, current_traceparent()))

    async def _settle_batch(self, batch: Sequence[_Settling]) -> list[bool | Exception]:
        try:
            return await self._settle_together(batch)
        except asyncpg.PostgresError:
            if len(batch) == 1:
                raise
            return await _each_alone(batch, self._settle_together)

    async def _settle_together(self, batch: Sequence[_Settling]) -> list[bool | Exception]:
        answers: list[bool | Exception] = [False] * len(batch)
        async with self._pool.acquire() as conn, conn.transaction():
            events = []
            for positions in rounds(batch, lambda s: s.delivery_id):
                rows = {
                    r["delivery_id"]: r for r in await self._settle_round(conn, batch, positions)
                }
                for i in positions:
                    item = batch[i]
                    row = rows.get(item.delivery_id)
                    if row is None:
                        continue
                    answers[i] = True
                    if item.decision.state is not State.QUEUED:
                        event = _status(row, item.decision.state)
                        events.append((event, _causation(row), item.traceparent))
                    if item.decision.dead_letter:
                        await write_dead_letter(
                            conn, row, "retries_exhausted", row["error_message"], self._consumer
                        )
            await write_events(conn, events)
        return answers

    async def _settle_round(
        self, conn: Connection, batch: Sequence[_Settling], positions: list[int]
    ) -> list[Row]:
        decisions = [batch[i].decision for i in positions]
        allowed = [
            ",".join(["claimed"] if d.state is State.QUEUED else states_before(d.state))
            for d in decisions
        ]
        rows = await conn.fetch(
            """WITH v AS (
                   SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[],
                       $5::text[], $6::text[], $7::text[])
                   AS v(id, state, retry_in, provider_message_id, error_code, error_message,
                       allowed)),
               locked AS (
                   SELECT d.delivery_id FROM comms.deliveries d JOIN v ON v.id = d.delivery_id
                   WHERE d.state = ANY(string_to_array(v.allowed, ','))
                   ORDER BY d.delivery_id FOR UPDATE OF d)
               UPDATE comms.deliveries d SET state = v.state,
                   next_attempt_at = CASE WHEN v.retry_in IS NULL THEN d.next_attempt_at
                       ELSE now() + v.retry_in * interval '1 second' END,
                   lease = NULL,
                   provider_message_id = coalesce(v.provider_message_id, d.provider_message_id),
                   error_code = v.error_code, error_message = v.error_message,
                   updated_at = now()
               FROM v WHERE v.id = d.delivery_id
                   AND d.state = ANY(string_to_array(v.allowed, ','))
                   AND d.delivery_id IN (SELECT delivery_id FROM locked)
               RETURNING d.*""",
            [batch[i].delivery_id for i in positions],
            [d.state.value for d in decisions],
            [d.retry_in for d in decisions],
            [d.provider_message_id for d in decisions],
            [d.error_code for d in decisions],
            [d.error_message for d in decisions],
            allowed,
        )
        return cast("list[Row]", rows)

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
        return await self._reports(
            _Report(delivery_id, provider_message_id, state, error_code, current_traceparent())
        )

    async def _report_batch(self, batch: Sequence[_Report]) -> list[bool | Exception]:
        try:
            return await self._report_together(batch)
        except asyncpg.PostgresError:
            if len(batch) == 1:
                raise
            return await _each_alone(batch, self._report_together)

    async def _report_together(self, batch: Sequence[_Report]) -> list[bool | Exception]:
        answers: list[bool | Exception] = [False] * len(batch)
        async with self._pool.acquire() as conn, conn.transaction():
            locked = await conn.fetch(
                """SELECT delivery_id, provider_message_id, state FROM comms.deliveries
                   WHERE delivery_id = ANY($1::uuid[]) OR provider_message_id = ANY($2::text[])
                   ORDER BY delivery_id FOR UPDATE""",
                [r.delivery_id for r in batch if r.delivery_id is not None],
                [r.provider_message_id for r in batch if r.delivery_id is None],
            )
            now = {r["delivery_id"]: State(r["state"]) for r in locked}
            by_sid = {r["provider_message_id"]: r["delivery_id"] for r in locked}
            moves: list[tuple[int, UUID]] = []  # (position, delivery id), in order
            for i, report in enumerate(batch):
                found = report.delivery_id or by_sid.get(report.provider_message_id)
                if found is None or found not in now or not advances(now[found], report.state):
                    continue
                now[found], answers[i] = report.state, True
                by_sid.setdefault(report.provider_message_id, found)
                moves.append((i, found))
            events = []
            for positions in rounds(moves, lambda move: move[1]):
                rows = await conn.fetch(
                    """UPDATE comms.deliveries d SET state = v.state,
                           provider_message_id = coalesce(d.provider_message_id, v.sid),
                           error_code = coalesce(v.error_code, d.error_code),
                           error_message = coalesce(v.error_message, d.error_message),
                           updated_at = now()
                       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
                           AS v(id, state, sid, error_code, error_message)
                       WHERE d.delivery_id = v.id RETURNING d.*""",
                    [moves[p][1] for p in positions],
                    [batch[moves[p][0]].state.value for p in positions],
                    [batch[moves[p][0]].provider_message_id for p in positions],
                    [batch[moves[p][0]].error_code for p in positions],
                    [
                        f"provider reported {batch[moves[p][0]].state.value}"
                        if batch[moves[p][0]].error_code
                        else None
                        for p in positions
                    ],
                )
                updated = {r["delivery_id"]: r for r in rows}
                for p in positions:
                    report, row = batch[moves[p][0]], updated[moves[p][1]]
                    events.append((_status(row, report.state), _causation(row), report.traceparent))
            await write_events(conn, events)
        return answers

    async def due_status_checks(
        self, after: float, give_up_after: float, limit: int = 50
    ) -> list[StatusCheck]:
        rows = await self._pool.fetch(
            """UPDATE comms.deliveries SET status_checked_at = now()
               WHERE delivery_id IN (
                   SELECT delivery_id FROM comms.deliveries
                   WHERE state = 'sent' AND channel = 'sms'
                     AND provider_message_id IS NOT NULL
                     AND updated_at < now() - $1 * interval '1 second'
                     AND updated_at > now() - $2 * interval '1 second'
                     -- asked again once as long has passed as it had waited when last
                     -- asked: 10 min, 20, 40 … apart, for carriers that never report
                     AND (status_checked_at IS NULL
                          OR status_checked_at < now() - greatest(
                              $1 * interval '1 second', status_checked_at - updated_at))
                   ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING delivery_id, provider_message_id""",
            after,
            give_up_after,
            limit,
        )
        return [StatusCheck(r["delivery_id"], r["provider_message_id"]) for r in rows]

    async def is_opted_out(self, tenant_id: str, phone: str) -> bool:
        return await self._opt_outs((tenant_id, phone))

    async def _opted_out_batch(self, asked: Sequence[tuple[str, str]]) -> list[bool | Exception]:
        rows = await self._pool.fetch(
            """SELECT n FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v(t, p, n)
               JOIN comms.opt_outs o ON o.tenant_id = v.t AND o.phone = v.p
               WHERE o.opted_out""",
            [tenant for tenant, _ in asked],
            [phone for _, phone in asked],
        )
        out = {r["n"] for r in rows}
        return [n in out for n in range(1, len(asked) + 1)]

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
