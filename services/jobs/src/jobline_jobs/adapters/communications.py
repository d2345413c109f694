"""Customer communications in PostgreSQL: the repository of the unit of work (a send, its
deliveries and invoice copy; releasing scheduled ones) and the reads of the API."""

import json
from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from jobline_infra.observability.tracing import current_traceparent
from jobline_infra.postgres import Connection
from jobline_jobs.adapters import templates
from jobline_jobs.adapters.communication_pages import communication_page
from jobline_jobs.adapters.invoices import PostgresInvoiceQueries
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.adapters.send_rows import (
    CommunicationCanceledRow,
    CommunicationInsert,
    CommunicationReleased,
    DeliveryInsert,
    InvoiceSendInsert,
)
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain.communications import Contact, File, StoredFile
from jobline_jobs.domain.events import Addressee, SentFile
from jobline_jobs.domain.sends import Communication, Delivery
from jobline_jobs.domain.templates import MergeValues, Template
from jobline_jobs.service_layer import unit_of_work
from jobline_jobs.service_layer.queries import CommunicationQueries

_CONTACTS = """SELECT contact_id, name, phone, email FROM jobs.contacts
                WHERE tenant_id = $1 AND ((owner_kind = 'customer' AND owner_id = $2)
                      OR (owner_kind = 'property' AND owner_id = $3))
                ORDER BY owner_kind, name"""
_LOAD = """SELECT c.tenant_id, c.communication_id, c.job_id, j.job_number, c.channel,
                  c.subject, c.body, c.attachments, c.send_at, c.requested_by, c.traceparent,
                  c.released, c.canceled_by
             FROM jobs.communications c JOIN jobs.jobs j USING (tenant_id, job_id) """
_OPTED_OUT = "SELECT phone FROM jobs.opt_outs WHERE tenant_id = $1 AND opted_out"


class PostgresCommunications(Tracking[Communication], unit_of_work.Communications):
    def __init__(self, conn: Connection, writer: RowWriter) -> None:
        super().__init__(conn, writer)
        self._new: set[UUID] = set()

    async def contacts(
        self, tenant_id: str, customer_id: UUID, property_id: UUID
    ) -> dict[UUID, Contact]:
        await self._send_pending()  # the contacts a directory upsert replaced
        rows = await self._conn.fetch(_CONTACTS, tenant_id, customer_id, property_id)
        return {r["contact_id"]: Contact(*r) for r in rows}

    async def opted_out(self, tenant_id: str) -> frozenset[str]:
        await self._send_pending()  # opt-outs recorded earlier in the transaction
        return frozenset(r["phone"] for r in await self._conn.fetch(_OPTED_OUT, tenant_id))

    async def files(self, tenant_id: str, job_id: UUID) -> dict[tuple[str, UUID], StoredFile]:
        await self._send_pending()  # documents added earlier in the transaction
        rows = await self._conn.fetch(
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

    def add(self, communication: Communication) -> None:
        self._new.add(communication.communication_id)
        self._track((communication.tenant_id, communication.communication_id), communication)

    def forget(self) -> None:
        super().forget()
        self._new.clear()

    async def due(self, limit: int, at: datetime) -> list[Communication]:
        await self._send_pending()  # communications requested earlier in the transaction
        rows = await self._conn.fetch(
            _LOAD
            + """WHERE NOT c.released AND c.canceled_at IS NULL AND c.send_at <= $2
                ORDER BY c.send_at LIMIT $1 FOR UPDATE OF c SKIP LOCKED""",
            limit,
            at,
        )
        return await self._loaded(rows)

    async def get(self, tenant_id: str, communication_id: UUID) -> Communication | None:
        await self._send_pending()
        rows = await self._conn.fetch(
            _LOAD + "WHERE c.tenant_id = $1 AND c.communication_id = $2 FOR UPDATE OF c",
            tenant_id,
            communication_id,
        )
        found = await self._loaded(rows)
        return found[0] if found else None

    async def _loaded(self, rows: list[asyncpg.Record]) -> list[Communication]:
        deliveries = await self._conn.fetch(
            """SELECT tenant_id, communication_id, delivery_id, recipient_id, recipient_name,
                      address, status FROM jobs.deliveries
                WHERE communication_id = ANY($1::uuid[])""",
            [r["communication_id"] for r in rows],
        )
        of: dict[tuple[str, UUID], list[Delivery]] = defaultdict(list)
        for d in deliveries:
            to = Addressee(d["delivery_id"], d["recipient_id"], d["recipient_name"], d["address"])
            of[(d["tenant_id"], d["communication_id"])].append(Delivery(to, d["status"]))
        return [self._track((r["tenant_id"], r["communication_id"]), _loaded(r, of)) for r in rows]

    def save(self, communication: Communication) -> None:
        c = communication
        if c.communication_id not in self._new:  # released by the scheduler, or canceled
            if c.canceled_by is not None:
                row = CommunicationCanceledRow(c.tenant_id, c.communication_id, c.canceled_by)
                self._writer.add(row)
            else:
                self._writer.add(CommunicationReleased(c.tenant_id, c.communication_id))
            return
        self._writer.add(
            CommunicationInsert(
                c.tenant_id,
                c.communication_id,
                c.job_id,
                c.channel,
                c.subject,
                c.body,
                json.dumps([vars(f) for f in c.files]),
                c.send_at,
                c.released,
                c.requested_by,
                current_traceparent(),  # so a later release continues the request's trace
            )
        )
        for d in c.deliveries:
            to = d.to
            self._writer.add(
                DeliveryInsert(
                    to.delivery_id,
                    c.tenant_id,
                    c.communication_id,
                    to.recipient_id,
                    to.recipient_name,
                    to.address,
                    d.status,
                )
            )
        if c.invoice is not None:
            self._writer.add(
                InvoiceSendInsert(
                    c.tenant_id,
                    c.communication_id,
                    c.job_id,
                    c.invoice.number,
                    c.invoice.snapshot_sha256,
                    c.invoice.pdf_sha256,
                )
            )
        self._new.discard(c.communication_id)


def _loaded(
    row: asyncpg.Record, deliveries: dict[tuple[str, UUID], list[Delivery]]
) -> Communication:
    return Communication(
        tenant_id=row["tenant_id"],
        communication_id=row["communication_id"],
        job_id=row["job_id"],
        job_number=row["job_number"],
        channel=row["channel"],
        subject=row["subject"],
        body=row["body"],
        files=tuple(SentFile(**f) for f in json.loads(row["attachments"])),
        send_at=row["send_at"],
        requested_by=row["requested_by"],
        deliveries=deliveries[(row["tenant_id"], row["communication_id"])],
        released=row["released"],
        canceled_by=row["canceled_by"],
        traceparent=row["traceparent"],
    )


class PostgresCommunicationQueries(CommunicationQueries):
    """What the API shows of communications (reads only: a send is a command)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def templates(self, tenant_id: str, channel: str | None = None) -> list[Template]:
        return await templates.templates_of(self._pool, tenant_id, channel)

    async def template(self, tenant_id: str, template_id: UUID) -> Template | None:
        return await templates.template_of(self._pool, tenant_id, template_id)

    async def merge_values(self, tenant_id: str, job_id: UUID) -> MergeValues | None:
        invoice = await PostgresInvoiceQueries(self._pool).issued(tenant_id, job_id)
        return await templates.merge_values(self._pool, tenant_id, job_id, invoice)

    async def contacts(self, tenant_id: str, job_id: UUID) -> dict[UUID, Contact] | None:
        job = await self._pool.fetchrow(
            "SELECT customer_id, property_id FROM jobs.jobs WHERE tenant_id = $1 AND job_id = $2",
            tenant_id,
            job_id,
        )
        if job is None:
            return None
        rows = await self._pool.fetch(_CONTACTS, tenant_id, job["customer_id"], job["property_id"])
        return {r["contact_id"]: Contact(*r) for r in rows}

    async def opted_out(self, tenant_id: str) -> frozenset[str]:
        return frozenset(r["phone"] for r in await self._pool.fetch(_OPTED_OUT, tenant_id))

    async def page(
        self,
        tenant_id: str,
        job_id: UUID,
        *,
        limit: int,
        after: tuple[datetime, UUID] | None,
        invoices_only: bool = False,
    ) -> tuple[list[dict[str, Any]], bool] | None:
        return await communication_page(
            self._pool, tenant_id, job_id, limit=limit, after=after, invoices_only=invoices_only
        )

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
                      error_message, updated_at, opened_at, deferred_reason
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
