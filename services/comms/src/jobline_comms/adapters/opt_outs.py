"""Opt-outs per tenant and phone number (``comms.opt_outs``), and who texts whom."""

from collections.abc import Sequence
from typing import Any

import asyncpg

from jobline_comms.adapters.batching import Batcher
from jobline_comms.domain.replies import OptChange
from jobline_comms.service_layer.ports import OptOuts
from jobline_comms.service_layer.unit_of_work import OptOutBook
from jobline_infra.postgres import Connection


class PostgresOptOuts(OptOuts):
    """The checks made at the same moment by the attempts in flight go in one statement."""

    def __init__(self, pool: "asyncpg.Pool[Any]") -> None:
        self._pool = pool
        self._checks = Batcher(self._opted_out_batch)

    async def is_opted_out(self, tenant_id: str, phone: str) -> bool:
        return await self._checks((tenant_id, phone))

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

    async def tenants_texting(self, sender: str, phone: str) -> list[str]:
        rows = await self._pool.fetch(
            "SELECT DISTINCT tenant_id FROM comms.deliveries"
            " WHERE channel = 'sms' AND sender = $1 AND recipient = $2",
            sender,
            phone,
        )
        return sorted(r["tenant_id"] for r in rows)


class PostgresOptOutBook(OptOutBook):
    """Inside a unit of work's transaction (``conn``)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def change(self, tenant_id: str, phone: str, change: OptChange) -> bool:
        # A first-ever START (a new row saying "not opted out") changes nothing.
        return bool(
            await self._conn.fetchval(
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
        )

    async def first_reply(self, message_sid: str) -> bool:
        return bool(
            await self._conn.fetchval(
                """INSERT INTO comms.inbound_messages (message_sid) VALUES ($1)
                   ON CONFLICT DO NOTHING RETURNING true""",
                message_sid,
            )
        )
