"""Replies on PostgreSQL (issue 20): the unit of work's repository, and the reads of a
job's conversation (messages and replies in one order) and the tenant's inbox."""

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from jobline_jobs.adapters.reply_rows import ReplyInsert
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain.replies import Match, Reply
from jobline_jobs.service_layer.reply_ports import Replies, ReplyQueries

# The latest message that left for the address (a scheduled or canceled one never did),
# its job locked: the reply is published on the job's key in commit order.
_LATEST_TO = """
SELECT c.job_id, j.job_number, c.communication_id
  FROM jobs.deliveries d
  JOIN jobs.communications c USING (tenant_id, communication_id)
  JOIN jobs.jobs j ON j.tenant_id = c.tenant_id AND j.job_id = c.job_id
 WHERE d.tenant_id = $1 AND lower(d.address) = lower($2) AND c.channel = $3
   AND d.status NOT IN ('scheduled', 'canceled')
 ORDER BY c.send_at DESC, c.created_at DESC, c.communication_id DESC
 LIMIT 1
   FOR UPDATE OF j"""


class PostgresReplies(Tracking[Reply], Replies):
    async def latest_to(self, tenant_id: str, channel: str, address: str) -> Match | None:
        await self._send_pending()  # a send recorded earlier in the batch counts
        row = await self._conn.fetchrow(_LATEST_TO, tenant_id, address, channel)
        return Match(*row) if row else None

    def add(self, reply: Reply) -> None:
        self._track((reply.tenant_id, reply.reply_id), reply)

    def save(self, reply: Reply) -> None:
        r = reply.received
        self._writer.add(
            ReplyInsert(
                r.tenant_id,
                r.reply_id,
                reply.job_id,
                reply.in_reply_to,
                r.channel,
                r.sender,
                r.subject,
                r.body,
                json.dumps([asdict(f) for f in r.files]),
                json.dumps([asdict(f) for f in r.refused]),
                r.received_at,
            )
        )

    async def mark_read(self, tenant_id: str, reply_ids: tuple[UUID, ...], by: str) -> int:
        found = await self._conn.fetchval(
            """WITH marked AS (
                   UPDATE jobs.replies SET read_at = coalesce(read_at, now()),
                          read_by = coalesce(read_by, $3)
                    WHERE tenant_id = $1 AND reply_id = ANY($2::uuid[]) RETURNING 1)
               SELECT count(*) FROM marked""",
            tenant_id,
            list(set(reply_ids)),
            by,
        )
        return int(found or 0)


_REPLY_COLUMNS = """r.reply_id, r.job_id, r.in_reply_to, r.channel, r.sender, r.subject,
    r.body, r.files, r.refused, r.received_at, r.read_at, r.read_by"""

# One row (none: no such job): up to $5 messages and up to $5 replies after the keyset
# ($3, $4), each side in order; merged and cut to the page by the caller.
_CONVERSATION = f"""
SELECT (SELECT coalesce(json_agg(m), '[]') FROM (
          SELECT 'message' AS kind, c.communication_id AS id, c.created_at AS at,
                 c.channel, c.subject, c.body, c.attachments, c.send_at, c.requested_by,
                 (SELECT coalesce(json_agg(json_build_object(
                             'delivery_id', d.delivery_id, 'recipient_name', d.recipient_name,
                             'address', d.address, 'status', d.status,
                             'error_code', d.error_code, 'error_message', d.error_message,
                             'updated_at', d.updated_at, 'opened_at', d.opened_at,
                             'deferred_reason', d.deferred_reason)
                           ORDER BY d.recipient_name, d.delivery_id), '[]')
                    FROM jobs.deliveries d
                   WHERE d.tenant_id = c.tenant_id
                     AND d.communication_id = c.communication_id) AS deliveries
            FROM jobs.communications c
           WHERE c.tenant_id = j.tenant_id AND c.job_id = j.job_id
             AND ($3::timestamptz IS NULL OR (c.created_at, c.communication_id) > ($3, $4::uuid))
           ORDER BY c.created_at, c.communication_id LIMIT $5) m) AS messages,
       (SELECT coalesce(json_agg(x), '[]') FROM (
          SELECT 'reply' AS kind, r.reply_id AS id, r.received_at AS at, {_REPLY_COLUMNS}
            FROM jobs.replies r
           WHERE r.tenant_id = j.tenant_id AND r.job_id = j.job_id
             AND ($3::timestamptz IS NULL OR (r.received_at, r.reply_id) > ($3, $4::uuid))
           ORDER BY r.received_at, r.reply_id LIMIT $5) x) AS replies
  FROM jobs.jobs j
 WHERE j.tenant_id = $1 AND j.job_id = $2"""  # noqa: S608 - fixed columns

_INBOX = f"""
SELECT {_REPLY_COLUMNS}, j.job_number
  FROM jobs.replies r
  LEFT JOIN jobs.jobs j ON j.tenant_id = r.tenant_id AND j.job_id = r.job_id
 WHERE r.tenant_id = $1 AND (NOT $4::boolean OR r.read_at IS NULL)
   AND ($2::timestamptz IS NULL OR (r.received_at, r.reply_id) < ($2, $3::uuid))
 ORDER BY r.received_at DESC, r.reply_id DESC
 LIMIT $5"""  # noqa: S608 - fixed columns


def _at(item: dict[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(item["at"]), item["id"]


class PostgresReplyQueries(ReplyQueries):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def conversation(
        self, tenant_id: str, job_id: UUID, *, limit: int, after: tuple[datetime, UUID] | None
    ) -> tuple[list[dict[str, Any]], bool] | None:
        at, key = after if after else (None, None)
        row = await self._pool.fetchrow(_CONVERSATION, tenant_id, job_id, at, key, limit + 1)
        if row is None:
            return None
        items = sorted(json.loads(row["messages"]) + json.loads(row["replies"]), key=_at)
        for item in items:
            item["at"] = datetime.fromisoformat(item["at"])
        return items[:limit], len(items) > limit

    async def inbox(
        self,
        tenant_id: str,
        *,
        limit: int,
        before: tuple[datetime, UUID] | None,
        unread_only: bool,
    ) -> tuple[list[dict[str, Any]], bool]:
        at, key = before if before else (None, None)
        rows = await self._pool.fetch(_INBOX, tenant_id, at, key, unread_only, limit + 1)
        items = [
            {**dict(r), "files": json.loads(r["files"]), "refused": json.loads(r["refused"])}
            for r in rows
        ]
        return items[:limit], len(items) > limit

    async def unread(self, tenant_id: str) -> int:
        count = await self._pool.fetchval(
            "SELECT count(*) FROM jobs.replies WHERE tenant_id = $1 AND read_at IS NULL",
            tenant_id,
        )
        return int(count or 0)
