"""Request and response bodies of the commission routes (the ledger's reads, and
unlinking a recall)."""

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from jobline_jobs.entrypoints.api.schemas import Text

EntryKindName = Literal["earned", "held", "released", "adjusted", "charged_back", "reversed"]


class UnlinkRecallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=500, description="Why the link is removed")


class CommissionEntry(BaseModel):
    id: UUID
    kind: EntryKindName
    job_id: UUID
    job_number: str
    at: datetime = Field(description="When it counts (its payroll period)")
    amount: Decimal = Field(description="Signed: held and charged_back are negative")
    cause: str = Field(description="The fact or action that appended it")
    basis: Decimal | None = Field(description="The technician's share of the job total")
    rate: Decimal | None = Field(description="The commission rate applied (in force then)")
    chargeback_id: UUID | None
    recall_job_id: UUID | None
    reason: str | None


class CommissionSums(BaseModel):
    earned: Decimal
    held: Decimal
    released: Decimal
    adjusted: Decimal
    charged_back: Decimal
    reversed: Decimal
    net: Decimal = Field(description="The sum of every entry: what the period pays")


class Commissions(BaseModel):
    technician_id: UUID
    start: datetime
    end: datetime
    entries: list[CommissionEntry]
    totals: CommissionSums


class StatementLine(CommissionSums):
    technician_id: UUID
    technician_name: str | None
    entries: int


class PayrollStatement(BaseModel):
    start: datetime
    end: datetime
    technicians: list[StatementLine]
    totals: CommissionSums
