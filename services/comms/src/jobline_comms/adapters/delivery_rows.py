"""A delivery's row in ``comms.deliveries`` ↔ the :class:`Delivery` aggregate.

Loading builds the aggregate; writing stores its change only over a stored status it
may follow (:meth:`Delivery.overwrites`; a claim also only under its lease), rows
locked in id order so that statements running at once never deadlock. A command is
decoded once, at intake, into ``content`` (what an attempt needs beyond the row's own
columns), so no attempt parses the envelope again.
"""

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any
from uuid import UUID

import asyncpg

from jobline_comms.adapters.batching import rounds
from jobline_comms.domain.commands import AttachmentRef, Causation, Command, SendEmail, SendSms
from jobline_comms.domain.delivery import Delivery, overwritten_by
from jobline_comms.domain.model import Channel, DeliveryStatus
from jobline_infra.postgres import Connection

Row = Mapping[str, Any]

# What loading a delivery reads.
COLUMNS = (
    "delivery_id, communication_id, tenant_id, channel, status, attempts, provider_message_id,"
    " error_code, error_message, command_message_id, correlation_id"
)


def delivery_of(row: Row, *, lease: UUID | None = None, claim_expired: bool = False) -> Delivery:
    return Delivery(
        row["delivery_id"],
        row["communication_id"],
        row["tenant_id"],
        Channel(row["channel"]),
        Causation(row["tenant_id"], row["command_message_id"], row["correlation_id"]),
        DeliveryStatus(row["status"]),
        row["attempts"],
        row["provider_message_id"],
        row["error_code"],
        row["error_message"],
        lease=lease,
        claim_expired=claim_expired,
    )


def content_of(cmd: Command) -> str:
    """The command's stored form (``content``, jsonb): its fields but the ids, the
    tenant and the recipient, which have columns of their own."""
    if isinstance(cmd, SendSms):
        return json.dumps({"body": cmd.body})
    return json.dumps(
        {
            "subject": cmd.subject,
            "body_text": cmd.body_text,
            "to_name": cmd.to_name,
            "from_name": cmd.from_name,
            "reply_to": cmd.reply_to,
            "attachments": [asdict(ref) for ref in cmd.attachments],
        }
    )


def command_of(row: Row) -> Command:
    """The command back from its row (``recipient`` and ``content`` read with it)."""
    content = json.loads(row["content"])
    ids = (row["delivery_id"], row["communication_id"], row["tenant_id"], row["recipient"])
    if row["channel"] == Channel.SMS:
        return SendSms(*ids, content["body"])
    return SendEmail(
        *ids,
        subject=content["subject"],
        body_text=content["body_text"],
        to_name=content.get("to_name"),
        from_name=content.get("from_name"),
        reply_to=content.get("reply_to"),
        attachments=tuple(AttachmentRef(**ref) for ref in content.get("attachments", ())),
    )


# The guarded write as CTEs ($1-$9, from :func:`guarded_args`), ending in ``written``
# (the ids written), for a statement to go on from: a claim alone, or a unit of work's
# changes and their outbox rows in one statement (:mod:`jobline_comms.adapters.unit_of_work`).
GUARDED_WRITE = """
v AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
        $6::float8[], $7::bool[], $8::uuid[], $9::text[])
    AS v(id, status, sid, error_code, error_message, retry_in, claim, lease, overwrites)),
locked AS (
    SELECT d.delivery_id FROM comms.deliveries d JOIN v ON v.id = d.delivery_id
    WHERE d.status = ANY(string_to_array(v.overwrites, ','))
        AND (NOT v.claim OR d.lease = v.lease)
    ORDER BY d.delivery_id FOR UPDATE OF d),
written AS (
    UPDATE comms.deliveries d SET status = v.status,
        attempts = d.attempts + v.claim::int,
        claimed_at = CASE WHEN v.claim THEN now() ELSE d.claimed_at END,
        lease = CASE WHEN v.claim THEN d.lease END,
        next_attempt_at = CASE WHEN v.retry_in IS NULL THEN d.next_attempt_at
            ELSE now() + v.retry_in * interval '1 second' END,
        provider_message_id = coalesce(v.sid, d.provider_message_id),
        error_code = v.error_code, error_message = v.error_message, updated_at = now()
    FROM v WHERE v.id = d.delivery_id AND d.delivery_id IN (SELECT delivery_id FROM locked)
        AND d.status = ANY(string_to_array(v.overwrites, ','))
        AND (NOT v.claim OR d.lease = v.lease)
    RETURNING d.delivery_id)"""

_WRITE = f"WITH {GUARDED_WRITE} SELECT delivery_id FROM written"  # noqa: S608 - fixed text


@functools.cache
def _overwrites(status: DeliveryStatus, stored: DeliveryStatus) -> str:
    """The stored statuses a change may be written over, as the statement takes them
    (a few distinct moves, so worked out once each)."""
    return ",".join(sorted(overwritten_by(status, stored)))


def guarded_args(batch: Sequence[Delivery]) -> list[list[Any]]:
    """The arguments of :data:`GUARDED_WRITE` for ``batch`` (no delivery twice)."""
    return [
        [d.delivery_id for d in batch],
        [d.status.value for d in batch],
        [d.provider_message_id for d in batch],
        [d.error_code for d in batch],
        [d.error_message for d in batch],
        [d.retry_in for d in batch],
        [d.status is DeliveryStatus.CLAIMED and d.stored_status is not d.status for d in batch],
        [d.lease for d in batch],
        [_overwrites(d.status, d.stored_status) for d in batch],
    ]


def change_rounds(deliveries: Sequence[Delivery]) -> list[list[int]]:
    """Positions of the deliveries that changed, in rounds where none repeats (a
    delivery twice in one batch: one change after the other)."""
    changed = [i for i, d in enumerate(deliveries) if d.changed]
    return [[changed[p] for p in ps] for ps in rounds(changed, lambda i: deliveries[i].delivery_id)]


async def write_deliveries(
    db: "Connection | asyncpg.Pool[Any]", deliveries: Sequence[Delivery]
) -> list[bool]:
    """Write the deliveries that changed, one statement per round; for each, True if it
    was written or had nothing to write."""
    written = [not d.changed for d in deliveries]
    for positions in change_rounds(deliveries):
        batch = [deliveries[i] for i in positions]
        found = {r["delivery_id"] for r in await db.fetch(_WRITE, *guarded_args(batch))}
        for i, d in zip(positions, batch, strict=True):
            written[i] = d.delivery_id in found
    return written
