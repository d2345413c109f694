"""After the storm: wait for quiescence, then hold the system to what it accepted."""

import asyncio
import email
import hashlib
import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx

from chaos.load import Accepted
from chaos.stack import TENANT, Stack
from jobline_contracts.topics import JOBS_LIFECYCLE, TOPICS
from jobline_ops.kafka import read_topic, size

log = logging.getLogger("chaos.checks")
LIFECYCLE_TYPES = sorted(m.message_type for m in JOBS_LIFECYCLE.messages)
# Operator sends are on the timeline under their own names, published under the job's.
SENDS_PUBLISHED_AS = {
    "communication.requested": "job.communication_requested",
    "invoice.sent": "job.invoice_sent",
}
# Issue 19: a delivery's outcome is on the timeline as delivery.status_changed (with its
# status) and published as communication.<outcome> (jobline_jobs.domain.delivery_outcomes).
OUTCOMES_PUBLISHED_AS = {
    "delivered": "communication.delivered",
    "failed": "communication.failed",
    "bounced": "communication.bounced",
    "opted_out": "communication.failed",
}
UUID_IN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def _pending(pool: asyncpg.Pool, accepted: Accepted) -> dict[str, int]:
    """Work the system still owes; all zero means quiet."""
    ids = list(accepted.facts)
    comms = list(accepted.communications) + list(accepted.invoice_sends)
    row = await pool.fetchrow(
        """SELECT
             (SELECT count(*) FROM unnest($1::uuid[]) m(id) WHERE NOT EXISTS
                (SELECT FROM jobs.processed_messages p WHERE p.message_id = m.id)) AS facts,
             (SELECT count(*) FROM jobs.outbox) AS jobs_outbox,
             (SELECT count(*) FROM comms.outbox) AS comms_outbox,
             (SELECT count(*) FROM comms.deliveries WHERE status IN ('queued', 'claimed'))
                AS in_flight,
             (SELECT count(*) FROM jobs.deliveries d WHERE d.communication_id = ANY($2::uuid[])
                AND (d.status = 'queued' OR NOT EXISTS
                  (SELECT FROM comms.deliveries l WHERE l.delivery_id = d.delivery_id)))
                AS not_handed_over""",
        ids,
        comms,
    )
    assert row is not None  # noqa: S101
    return dict(row)


async def quiesce(stack: Stack, accepted: Accepted, within: float = 150.0) -> float:
    """Wait until nothing is owed for three polls in a row; returns the seconds waited."""
    started = time.monotonic()
    calm, pending = 0, {"database": 1}
    while calm < 3:
        if time.monotonic() - started > within:
            log.error("not quiet after %.0fs: %s", within, pending)
            break
        try:
            pending = await _pending(stack.pool, accepted)
        except DB_ERRORS as error:
            pending = {"database": 1}
            log.info("database not answering yet: %r", error)
        calm = calm + 1 if not any(pending.values()) else 0
        await asyncio.sleep(1.0)
    return time.monotonic() - started


@dataclass
class Findings:
    facts_accepted: int = 0
    facts_applied: int = 0
    facts_lost: int = 0
    facts_refused: int = 0
    jobs_in_wrong_state: int = 0
    events_expected: int = 0
    events_published: int = 0
    events_missing: int = 0
    events_duplicated: int = 0
    events_unexplained: int = 0
    jobs_out_of_order: int = 0  # jobs whose events came out in another order than committed
    deliveries: dict[str, Counter[str]] = field(default_factory=dict)  # channel → counts
    unknown: list[str] = field(default_factory=list)
    invoice_sends: int = 0
    invoice_pdfs_ok: int = 0
    invoice_pdfs_missing: int = 0
    dead_letters: dict[str, int] = field(default_factory=dict)  # DLQ topic → records
    # The SendGrid path (comms-2's emails), counted through the sandbox's store: sends it
    # accepted, deliveries sent twice, its signed events and how comms answered them.
    sendgrid: Counter[str] = field(default_factory=Counter)

    @property
    def failures(self) -> list[str]:
        names = ("facts_lost", "facts_refused", "jobs_in_wrong_state", "events_missing",
                 "events_unexplained", "jobs_out_of_order", "invoice_pdfs_missing")  # fmt: skip
        found = [f"{n.replace('_', ' ')}: {getattr(self, n)}" for n in names if getattr(self, n)]
        found += [
            f"{channel} deliveries {what}: {counts[what]}"
            for channel, counts in self.deliveries.items()
            for what in ("lost", "duplicated")
            if counts[what]
        ]
        found += [
            f"sendgrid {what}: {self.sendgrid[what]}"
            for what in ("duplicated", "events refused")
            if self.sendgrid[what]
        ]
        return found


async def check(stack: Stack, accepted: Accepted) -> Findings:
    found = Findings()
    await _facts(stack.pool, accepted, found)
    await _lifecycle(stack, found)
    mails = _mails(stack)
    await _deliveries(stack, accepted, found, mails)
    await _invoice_pdfs(stack.pool, accepted, found, mails)
    await _sendgrid(stack, found)
    # Nothing the load sends is poison: a dead letter here means a consumer gave up on
    # good input (the run fails on what it lost; the counts say where to look).
    for spec in TOPICS:
        if spec.has_dlq:
            found.dead_letters[spec.dlq] = await size(stack.bootstrap, spec.dlq)
    return found


async def _facts(pool: asyncpg.Pool, accepted: Accepted, found: Findings) -> None:
    rows = await pool.fetch(
        "SELECT message_id, outcome FROM jobs.processed_messages WHERE message_id = ANY($1)",
        list(accepted.facts),
    )
    outcome = {r["message_id"]: r["outcome"] for r in rows}
    found.facts_accepted = len(accepted.facts)
    found.facts_applied = sum(1 for o in outcome.values() if o == "applied")
    found.facts_refused = sum(1 for o in outcome.values() if o != "applied")
    found.facts_lost = len(set(accepted.facts) - set(outcome))
    steps = await pool.fetch(
        "SELECT job_id, step FROM jobs.jobs WHERE tenant_id = $1 AND job_id = ANY($2)",
        TENANT,
        [story.job_id for story in accepted.jobs],
    )
    step = {r["job_id"]: r["step"] for r in steps}
    # Every job's facts ended with its invoice issued (job.invoiced): it awaits payment.
    found.jobs_in_wrong_state = sum(
        1 for story in accepted.jobs if step.get(story.job_id) != "awaiting_payment"
    )


async def _lifecycle(stack: Stack, found: Findings) -> None:
    """Each state change and operator send (its timeline row) against the topic, and each
    job's events in the order its timeline committed them."""
    rows = await stack.pool.fetch(
        """SELECT job_id, type, message_id, details->>'status' AS status FROM jobs.timeline
            WHERE tenant_id = $1 AND kind = 'event' AND type = ANY($2) ORDER BY entry_id""",
        TENANT,
        [*LIFECYCLE_TYPES, *SENDS_PUBLISHED_AS, "delivery.status_changed"],
    )
    committed = [
        (str(r["job_id"]), type_, str(r["message_id"]))
        for r in rows
        if (type_ := published_as(r["type"], r["status"])) is not None
    ]
    expected = Counter(committed)
    records = await read_topic(stack.bootstrap, JOBS_LIFECYCLE.name)
    published: list[tuple[str, str, str]] = []
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        body = json.loads(record.value)
        published.append((record.key_text, body["type"], str(body["causation_id"])))
    seen = Counter(published)
    found.events_expected = sum(expected.values())
    found.events_published = sum(seen.values())
    found.events_missing = sum((expected - seen).values())
    found.events_duplicated = sum(n - expected[k] for k, n in seen.items() if k in expected)
    found.events_unexplained = sum(n for k, n in seen.items() if k not in expected)
    found.jobs_out_of_order = out_of_order(committed, published)


def published_as(timeline_type: str, status: str | None) -> str | None:
    """The lifecycle type a timeline row is published as (None: it is not published)."""
    if timeline_type == "delivery.status_changed":
        return OUTCOMES_PUBLISHED_AS.get(status or "")
    return SENDS_PUBLISHED_AS.get(timeline_type, timeline_type)


def out_of_order(
    committed: list[tuple[str, str, str]], published: list[tuple[str, str, str]]
) -> int:
    """Jobs whose events' first copies on the topic are not in commit order (a copy
    republished after a crash repeats what came before; it cannot reorder)."""
    order: dict[str, list[tuple[str, str, str]]] = {}
    for event in committed:
        order.setdefault(event[0], []).append(event)
    first: dict[str, list[tuple[str, str, str]]] = {}
    for event in dict.fromkeys(published):
        first.setdefault(event[0], []).append(event)
    wrong = 0
    for job, events in order.items():
        mine = set(events)
        out = [e for e in first.get(job, []) if e in mine]
        shown = set(out)
        if out != [e for e in events if e in shown]:
            wrong += 1
            log.error("job %s: events out of order: %s", job, [e[1] for e in out])
    return wrong


def _mails(stack: Stack) -> dict[str, list[EmailMessage]]:
    """Every message the SMTP catcher stored, by delivery id (from its Message-ID)."""
    mails: dict[str, list[EmailMessage]] = {}
    for path in sorted(stack.sandboxes.mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)  # noqa: S101
        ids = UUID_IN.findall(str(message["Message-ID"] or ""))
        mails.setdefault(ids[0] if ids else path.name, []).append(message)
    return mails


async def _texts(stack: Stack) -> Counter[str]:
    """Create requests the Twilio sandbox received, by delivery id (its status callback)."""
    async with httpx.AsyncClient() as client:
        received: list[dict[str, Any]] = (
            await client.get(f"{stack.sandboxes.twilio_url}/sandbox/messages")
        ).json()
    found: Counter[str] = Counter()
    for request in received:
        found.update(UUID_IN.findall(request.get("status_callback") or "")[:1])
    return found


async def _deliveries(
    stack: Stack, accepted: Accepted, found: Findings, mails: dict[str, list[EmailMessage]]
) -> None:
    texts = await _texts(stack)
    ours = set(accepted.communications) | set(accepted.invoice_sends)
    rows = await stack.pool.fetch(
        """SELECT d.delivery_id::text AS id, d.communication_id, c.channel, d.status,
                  l.status AS comms_status, l.attempts
             FROM jobs.deliveries d JOIN jobs.communications c USING (tenant_id, communication_id)
             LEFT JOIN comms.deliveries l ON l.delivery_id = d.delivery_id
            WHERE d.tenant_id = $1""",
        TENANT,
    )
    for row in rows:
        counts = found.deliveries.setdefault(row["channel"], Counter())
        reached = texts[row["id"]] if row["channel"] == "sms" else len(mails.get(row["id"], []))
        is_ours = row["communication_id"] in ours
        counts["accepted" if is_ours else "unacknowledged request"] += 1
        if reached > 1:
            counts["duplicated"] += 1
        if row["comms_status"] == "unknown":
            counts["unknown"] += 1
            found.unknown.append(
                f"{row['channel']} {row['id']}: unknown in comms, reached the provider"
                f" {reached}x, jobs shows {row['status']}"
            )
        elif reached >= 1:
            counts["reached"] += 1
        elif is_ours:
            counts["lost"] += 1
            log.error("lost delivery %s: %s", row["id"], dict(row))
    missing = ours - {r["communication_id"] for r in rows}
    if missing:
        found.deliveries.setdefault("any", Counter())["lost"] += len(missing)


async def _invoice_pdfs(
    pool: asyncpg.Pool, accepted: Accepted, found: Findings, mails: dict[str, list[EmailMessage]]
) -> None:
    rows = await pool.fetch(
        """SELECT s.communication_id, s.pdf_sha256, d.delivery_id::text AS id
             FROM jobs.invoice_sends s JOIN jobs.deliveries d USING (tenant_id, communication_id)
            WHERE s.tenant_id = $1 AND s.communication_id = ANY($2)""",
        TENANT,
        list(accepted.invoice_sends),
    )
    found.invoice_sends = len(accepted.invoice_sends)
    for row in rows:
        for message in mails.get(row["id"], []):
            pdfs = [
                hashlib.sha256(part.get_content()).hexdigest()
                for part in message.iter_attachments()
                if part.get_content_type() == "application/pdf"
            ]
            if row["pdf_sha256"] in pdfs:
                found.invoice_pdfs_ok += 1
            else:
                found.invoice_pdfs_missing += 1


async def _sendgrid(stack: Stack, found: Findings) -> None:
    """Each delivery the SendGrid sandbox accepted once; every event it posted taken (a
    refused one, 4xx, would be a signature comms does not trust); what the ledger made of
    them (``sent`` still: its events never got through)."""
    received = stack.sandboxes.sendgrid.state.received
    accepted = Counter(
        str(r.body.get("custom_args", {}).get("delivery_id"))
        for r in received
        if r.message_id is not None
    )
    counts = found.sendgrid
    counts["sends"] = sum(accepted.values())
    counts["duplicated"] = sum(1 for n in accepted.values() if n > 1)
    for post in (p for r in received for p in r.events):
        if post.answer_status is None or post.answer_status >= 500:
            counts["events unreachable"] += 1  # after a minute of retries: comms was down
        elif post.answer_status >= 400:
            counts["events refused"] += 1
        else:
            counts["events taken"] += 1
    rows = await stack.pool.fetch(
        "SELECT status, count(*) AS n FROM comms.deliveries WHERE delivery_id::text = ANY($1)"
        " GROUP BY status",
        list(accepted),
    )
    for row in rows:
        counts[f"ledger {row['status']}"] = row["n"]
