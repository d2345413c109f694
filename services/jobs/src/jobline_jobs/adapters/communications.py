"""Customer communications in PostgreSQL: saving one (communication, deliveries and their
outbox commands in one transaction), releasing scheduled ones when due, and reading them.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from jobline_contracts.comms import Attachment, SendEmail, SendSms
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.lifecycle import JobCommunicationRequested, JobInvoiceSent
from jobline_contracts.topics import COMMS_COMMANDS, JOBS_LIFECYCLE
from jobline_infra.observability import tracing
from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection
from jobline_jobs.adapters import outbox
from jobline_jobs.adapters.idempotency import mark_applied
from jobline_jobs.adapters.outbox import envelope_row
from jobline_jobs.domain.communications import Contact, File, Recipient
from jobline_jobs.service_layer.unit_of_work import KeyClaim


@dataclass(frozen=True)
class StoredFile:
    """A file an email may attach, with what the comms service needs to send it."""

    file: File
    blob_key: str
    filename: str
    content_type: str
    sha256: str | None


@dataclass(frozen=True)
class Draft:
    tenant_id: str
    job_id: UUID
    channel: str
    subject: str | None
    body: str
    send_at: datetime
    requested_by: str
    attachments: list[StoredFile]


class Communications:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def contacts(self, tenant_id: str, job_id: UUID) -> dict[UUID, Contact] | None:
        """The job's customer and property contacts; None if the tenant has no such job."""
        job = await self._pool.fetchrow(
            "SELECT customer_id, property_id FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
            tenant_id,
            job_id,
        )
        if job is None:
            return None
        rows = await self._pool.fetch(
            """SELECT contact_id, name, phone, email FROM jobs.contacts
                WHERE tenant_id = $1 AND ((owner_kind = 'customer' AND owner_id = $2)
                      OR (owner_kind = 'property' AND owner_id = $3))
                ORDER BY owner_kind, name""",
            tenant_id,
            job["customer_id"],
            job["property_id"],
        )
        return {r["contact_id"]: Contact(*r) for r in rows}

    async def opted_out(self, tenant_id: str) -> frozenset[str]:
        rows = await self._pool.fetch(
            "SELECT phone FROM jobs.opt_outs WHERE tenant_id = $1 AND opted_out", tenant_id
        )
        return frozenset(r["phone"] for r in rows)

    async def files(self, tenant_id: str, job_id: UUID) -> dict[tuple[str, UUID], StoredFile]:
        rows = await self._pool.fetch(
            """SELECT d.kind, d.document_id, d.size_bytes, d.blob_key, d.filename,
                      d.content_type, d.sha256
                 FROM jobs.documents d JOIN jobs.jobs j ON j.tenant_id = d.tenant_id
                WHERE j.tenant_id = $1 AND j.job_id = $2
                  AND (d.job_id = j.job_id OR d.property_id = j.property_id)""",
            tenant_id,
            job_id,
        )
        return {
            (r["kind"], r["document_id"]): StoredFile(
                File(r["kind"], r["document_id"], r["size_bytes"]),
                r["blob_key"],
                r["filename"],
                r["content_type"],
                r["sha256"],
            )
            for r in rows
        }

    async def save(
        self,
        draft: Draft,
        recipients: list[Recipient],
        invoice: dict[str, str] | None = None,
        key_claim: KeyClaim | None = None,
    ) -> UUID:
        """Store the communication; due deliveries go to the outbox in the same transaction
        (and, when the request sent one, its Idempotency-Key is marked applied)."""
        communication_id, now = uuid4(), datetime.now(UTC)
        due = draft.send_at <= now
        async with self._pool.acquire() as conn, conn.transaction():
            # The job's row lock orders this lifecycle event after the job's earlier ones.
            job_number = await conn.fetchval(
                "SELECT job_number FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2 FOR UPDATE",
                draft.tenant_id,
                draft.job_id,
            )
            await conn.execute(
                """INSERT INTO jobs.communications (tenant_id, communication_id, job_id, channel,
                       subject, body, attachments, send_at, released, requested_by, traceparent)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
                draft.tenant_id,
                communication_id,
                draft.job_id,
                draft.channel,
                draft.subject,
                draft.body,
                json.dumps([_attachment(f).model_dump(mode="json") for f in draft.attachments]),
                max(draft.send_at, now),
                due,
                draft.requested_by,
                current_traceparent(),
            )
            await conn.executemany(
                """INSERT INTO jobs.deliveries (delivery_id, tenant_id, communication_id,
                       recipient_id, recipient_name, address, status)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)""",
                [
                    (
                        uuid4(),
                        draft.tenant_id,
                        communication_id,
                        r.contact.contact_id,
                        r.contact.name,
                        r.address,
                        "opted_out" if r.opted_out else ("queued" if due else "scheduled"),
                    )
                    for r in recipients
                ],
            )
            if invoice is not None:
                await conn.execute(
                    """INSERT INTO jobs.invoice_sends (tenant_id, communication_id, job_id,
                           invoice_number, snapshot_sha256, pdf_sha256)
                       VALUES ($1, $2, $3, $4, $5, $6)""",
                    draft.tenant_id,
                    communication_id,
                    draft.job_id,
                    invoice["number"],
                    invoice["snapshot_sha256"],
                    invoice["pdf_sha256"],
                )
            if due:
                await _release(conn, draft.tenant_id, communication_id)
            details = {
                "communication_id": str(communication_id),
                "channel": draft.channel,
                "recipients": [r.contact.name for r in recipients],
                "send_at": max(draft.send_at, now).isoformat(),
                "invoice_number": invoice["number"] if invoice else None,
            }
            await conn.execute(
                """INSERT INTO jobs.timeline (tenant_id, job_id, at, kind, type, cause, actor,
                       details, message_id)
                   VALUES ($1, $2, $3, 'event', $4, 'api', $5, $6, $7)""",
                draft.tenant_id,
                draft.job_id,
                now,
                "invoice.sent" if invoice else "communication.requested",
                draft.requested_by,
                json.dumps(details),
                communication_id,
            )
            event = _lifecycle_event(draft, job_number, communication_id, recipients, invoice)
            await _write_lifecycle(conn, draft, communication_id, event, now)
            if key_claim is not None:  # last, as in the unit of work: job row, then key
                await mark_applied(conn, key_claim)
        return communication_id

    async def release_due(self) -> int:
        """Send the scheduled communications whose time has come (any tenant)."""
        async with self._pool.acquire() as conn, conn.transaction():
            due = await conn.fetch(
                """SELECT tenant_id, communication_id, traceparent FROM jobs.communications
                    WHERE NOT released AND send_at <= now()
                    ORDER BY send_at LIMIT 100 FOR UPDATE SKIP LOCKED"""
            )
            for row in due:
                await conn.execute(
                    """UPDATE jobs.deliveries SET status = 'queued', updated_at = now()
                        WHERE tenant_id = $1 AND communication_id = $2 AND status = 'scheduled'""",
                    row["tenant_id"],
                    row["communication_id"],
                )
                # In the trace of the request that scheduled it, however much later.
                with tracing.continued(
                    "communication released",
                    row["traceparent"],
                    communication_id=str(row["communication_id"]),
                ):
                    await _release(conn, row["tenant_id"], row["communication_id"])
                await conn.execute(
                    """UPDATE jobs.communications SET released = true
                        WHERE tenant_id = $1 AND communication_id = $2""",
                    row["tenant_id"],
                    row["communication_id"],
                )
        return len(due)

    async def of_job(self, tenant_id: str, job_id: UUID) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            """SELECT communication_id FROM jobs.communications
                WHERE tenant_id = $1 AND job_id = $2 ORDER BY created_at, communication_id""",
            tenant_id,
            job_id,
        )
        found = [await self.one(tenant_id, r["communication_id"]) for r in rows]
        return [c for c in found if c is not None]

    async def one(self, tenant_id: str, communication_id: UUID) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(
            """SELECT c.*, s.invoice_number, s.pdf_sha256 FROM jobs.communications c
                 LEFT JOIN jobs.invoice_sends s USING (tenant_id, communication_id)
                WHERE c.tenant_id = $1 AND c.communication_id = $2""",
            tenant_id,
            communication_id,
        )
        if row is None:
            return None
        deliveries = await self._pool.fetch(
            """SELECT delivery_id, recipient_id, recipient_name, address, status, error_code,
                      error_message, updated_at
                 FROM jobs.deliveries WHERE tenant_id = $1 AND communication_id = $2
                ORDER BY recipient_name, delivery_id""",
            tenant_id,
            communication_id,
        )
        return {
            **dict(row),
            "attachments": json.loads(row["attachments"]),
            "deliveries": [dict(d) for d in deliveries],
        }


def _lifecycle_event(
    draft: Draft,
    job_number: str,
    communication_id: UUID,
    recipients: list[Recipient],
    invoice: dict[str, str] | None,
) -> Payload:
    """What other teams learn of a send: counts and versions, never addresses or wording."""
    reachable = sum(not r.opted_out for r in recipients)
    if invoice is not None:
        return JobInvoiceSent(
            job_id=draft.job_id,
            job_number=job_number,
            communication_id=communication_id,
            invoice_number=invoice["number"],
            pdf_sha256=invoice["pdf_sha256"],
            recipients=reachable,
            sent_by=draft.requested_by,
        )
    return JobCommunicationRequested(
        job_id=draft.job_id,
        job_number=job_number,
        communication_id=communication_id,
        channel="sms" if draft.channel == "sms" else "email",
        recipients=reachable,
        opted_out=len(recipients) - reachable,
        attachments=len(draft.attachments),
        send_at=max(draft.send_at, datetime.now(UTC)),
        requested_by=draft.requested_by,
    )


async def _write_lifecycle(
    conn: Connection, draft: Draft, communication_id: UUID, event: Payload, now: datetime
) -> None:
    # Caused by the operator's save, whose id the job's timeline row carries too.
    envelope = Envelope.wrap(
        event,
        tenant_id=draft.tenant_id,
        occurred_at=now,
        correlation_id=communication_id,
        causation_id=communication_id,
    )
    await outbox.insert(conn, [envelope_row(JOBS_LIFECYCLE.name, draft.job_id, envelope)])


def _attachment(stored: StoredFile) -> Attachment:
    return Attachment(
        blob_key=stored.blob_key,
        filename=stored.filename,
        content_type=stored.content_type,
        size_bytes=stored.file.size_bytes,
        sha256=stored.sha256 or "",
    )


async def _release(conn: Connection, tenant_id: str, communication_id: UUID) -> None:
    """One command per queued delivery, keyed by delivery id, through the outbox."""
    comm = await conn.fetchrow(
        """SELECT job_id, channel, subject, body, attachments FROM jobs.communications
            WHERE tenant_id = $1 AND communication_id = $2""",
        tenant_id,
        communication_id,
    )
    if comm is None:
        raise LookupError(f"no communication {communication_id}")
    deliveries = await conn.fetch(
        """SELECT delivery_id, recipient_id, recipient_name, address FROM jobs.deliveries
            WHERE tenant_id = $1 AND communication_id = $2 AND status = 'queued'""",
        tenant_id,
        communication_id,
    )
    rows = []
    for d in deliveries:
        payload: Payload
        if comm["channel"] == "sms":
            payload = SendSms(
                delivery_id=d["delivery_id"],
                communication_id=communication_id,
                job_id=comm["job_id"],
                recipient_id=d["recipient_id"],
                to=d["address"],
                body=comm["body"],
            )
        else:
            payload = SendEmail(
                delivery_id=d["delivery_id"],
                communication_id=communication_id,
                job_id=comm["job_id"],
                recipient_id=d["recipient_id"],
                to=d["address"],
                to_name=d["recipient_name"],
                subject=comm["subject"],
                body_text=comm["body"],
                attachments=[Attachment.model_validate(a) for a in json.loads(comm["attachments"])],
            )
        envelope = Envelope.wrap(payload, tenant_id=tenant_id, correlation_id=communication_id)
        rows.append(envelope_row(COMMS_COMMANDS.name, d["delivery_id"], envelope))
    # With the trace of the operator's request when sent at once, none when released later.
    await outbox.insert(conn, rows)
