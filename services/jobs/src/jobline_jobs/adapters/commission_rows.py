"""Typed rows of issue 16's commissions (see ``rows``): a job's new main technician, a
recall link's removal, and commission ledger entries (append-only)."""

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID


class JobTechnicianUpdate(NamedTuple):
    tenant_id: str
    job_id: UUID
    technician_id: UUID


class RecallUnlink(NamedTuple):
    tenant_id: str
    recall_job_id: UUID
    unlinked_at: datetime
    unlinked_by: str
    unlink_reason: str


class CommissionEntryInsert(NamedTuple):
    tenant_id: str
    entry_id: UUID
    job_id: UUID
    technician_id: UUID
    kind: str
    amount: Decimal
    cause: str
    at: datetime
    basis: Decimal | None
    rate: Decimal | None
    chargeback_id: UUID | None
    recall_job_id: UUID | None
    reason: str | None
    message_id: UUID


CommissionRow = JobTechnicianUpdate | RecallUnlink | CommissionEntryInsert

# In the order they are sent: after jobs, recall links and chargebacks (see ``rows``).
STATEMENTS: dict[type[CommissionRow], str] = {
    JobTechnicianUpdate: "UPDATE jobs.jobs SET technician_id = $3"
    " WHERE tenant_id = $1 AND job_id = $2",
    RecallUnlink: """UPDATE jobs.recall_links
           SET unlinked_at = $3, unlinked_by = $4, unlink_reason = $5
         WHERE tenant_id = $1 AND recall_job_id = $2 AND unlinked_at IS NULL""",
    CommissionEntryInsert: """INSERT INTO jobs.commission_entries (tenant_id, entry_id,
            job_id, technician_id, kind, amount, cause, at, basis, rate, chargeback_id,
            recall_job_id, reason, message_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)""",
}
