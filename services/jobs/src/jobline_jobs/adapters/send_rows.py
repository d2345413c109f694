"""Typed rows of communications and invoicing: sends, their deliveries and invoice copy,
releases, delivery statuses, opt-outs and render requests (their outcomes are written
by ``invoice_renders``, which must know whether the request was there). ``STATEMENTS`` lists
them in foreign-key order; ``rows.STATEMENTS`` places them after the jobs' own rows."""

from datetime import datetime
from typing import NamedTuple
from uuid import UUID


class CommunicationInsert(NamedTuple):
    tenant_id: str
    communication_id: UUID
    job_id: UUID
    channel: str
    subject: str | None
    body: str
    attachments: str  # JSON
    send_at: datetime
    released: bool
    requested_by: str
    traceparent: str | None  # of the request, so a later release continues its trace


class DeliveryInsert(NamedTuple):
    delivery_id: UUID
    tenant_id: str
    communication_id: UUID
    recipient_id: UUID
    recipient_name: str
    address: str
    status: str


class InvoiceSendInsert(NamedTuple):
    tenant_id: str
    communication_id: UUID
    job_id: UUID
    invoice_number: str
    snapshot_sha256: str
    pdf_sha256: str


class CommunicationReleased(NamedTuple):
    tenant_id: str
    communication_id: UUID


class CommunicationCanceledRow(NamedTuple):
    tenant_id: str
    communication_id: UUID
    canceled_by: str


class DeliveryStatusUpdate(NamedTuple):
    tenant_id: str
    delivery_id: UUID
    status: str
    error_code: str | None
    error_message: str | None
    updated_at: datetime | None


class RenderRequestInsert(NamedTuple):
    tenant_id: str
    job_id: UUID
    snapshot_sha256: str


class OptOut(NamedTuple):
    tenant_id: str
    phone: str
    opted_out: bool
    keyword: str | None
    updated_at: datetime


SendRow = (
    CommunicationInsert
    | DeliveryInsert
    | InvoiceSendInsert
    | CommunicationReleased
    | DeliveryStatusUpdate
    | RenderRequestInsert
    | OptOut
    | CommunicationCanceledRow  # issue 18
)

STATEMENTS: dict[type[SendRow], str] = {
    CommunicationInsert: """INSERT INTO jobs.communications (tenant_id, communication_id,
            job_id, channel, subject, body, attachments, send_at, released, requested_by,
            traceparent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
    DeliveryInsert: """INSERT INTO jobs.deliveries (delivery_id, tenant_id, communication_id,
            recipient_id, recipient_name, address, status)
        VALUES ($1, $2, $3, $4, $5, $6, $7)""",
    InvoiceSendInsert: """INSERT INTO jobs.invoice_sends (tenant_id, communication_id, job_id,
            invoice_number, snapshot_sha256, pdf_sha256) VALUES ($1, $2, $3, $4, $5, $6)""",
    # A release queues every delivery still scheduled (the opted out stay as they are).
    CommunicationReleased: """WITH released AS (
            UPDATE jobs.communications SET released = true
             WHERE tenant_id = $1 AND communication_id = $2)
        UPDATE jobs.deliveries SET status = 'queued', updated_at = now()
         WHERE tenant_id = $1 AND communication_id = $2 AND status = 'scheduled'""",
    DeliveryStatusUpdate: """UPDATE jobs.deliveries
           SET status = $3, error_code = $4, error_message = $5, updated_at = $6
         WHERE tenant_id = $1 AND delivery_id = $2""",
    # No ON CONFLICT: of two concurrent requests for one snapshot, the second fails on the
    # primary key and its outbox command goes with it, so one render is asked for.
    RenderRequestInsert: """INSERT INTO jobs.invoice_renders (tenant_id, job_id,
            snapshot_sha256, status) VALUES ($1, $2, $3, 'requested')""",
    # The latest report wins, whatever order they arrive in.
    OptOut: """INSERT INTO jobs.opt_outs AS o (tenant_id, phone, opted_out, keyword,
            updated_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (tenant_id, phone) DO UPDATE
           SET opted_out = EXCLUDED.opted_out, keyword = EXCLUDED.keyword,
               updated_at = EXCLUDED.updated_at
         WHERE o.updated_at <= EXCLUDED.updated_at""",
    # issue 18: a canceled communication is never due; its scheduled deliveries say so.
    CommunicationCanceledRow: """WITH canceled AS (
            UPDATE jobs.communications SET canceled_at = now(), canceled_by = $3
             WHERE tenant_id = $1 AND communication_id = $2)
        UPDATE jobs.deliveries SET status = 'canceled', updated_at = now()
         WHERE tenant_id = $1 AND communication_id = $2 AND status = 'scheduled'""",
}
