"""An issued invoice: given its number when it is issued (upstream's job.invoiced or the
operator's action), never when it is read; each revision's snapshot frozen as issued.

A later change to the job's money (lines, a payment or a refund) freezes a new revision
of the same invoice (same number, the next revision, every revision kept), unless the
tenant's convention is ``credit_note`` and the job's lines lowered what the invoice bills:
then the invoice stays as issued and a credit note credits the difference
(``credit_notes``). Voiding is final.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from jobline_jobs.domain import events
from jobline_jobs.domain.credit_notes import (
    NO_CREDIT,
    REVISED_INVOICE,
    Credit,
    CreditNote,
    credit_for,
)
from jobline_jobs.domain.errors import Conflict, InvalidRequest
from jobline_jobs.domain.events import Event
from jobline_jobs.domain.model import Job

FULLY_SCHEDULED = "fully scheduled into subjobs: bill the subjobs; the parent has a statement"


@dataclass(frozen=True)
class InvoiceTerms:
    """What dates a tenant's invoices: its time zone and payment terms."""

    time_zone: str
    payment_terms_days: int
    convention: str = REVISED_INVOICE  # how a change that lowers an invoice is recorded

    def day_of(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.time_zone)).date()

    def dates(self, at: datetime, issued_on: date | None, due_on: date | None) -> tuple[date, date]:
        """The given dates, else the tenant's day of ``at`` and that day plus the terms."""
        issued = issued_on or self.day_of(at)
        due = due_on or issued + timedelta(days=self.payment_terms_days)
        if due < issued:
            raise InvalidRequest(f"an invoice cannot fall due ({due}) before its date ({issued})")
        return issued, due


def number_of(seq: int) -> str:
    return f"INV-{seq:06d}"


def scheduled_into_subjobs(job: Job) -> Decimal:
    """How much of a parent's total its subjobs bill; refuses a parent they bill whole."""
    scheduled = sum((s.amount for s in job.subjob_shares), Decimal("0.00"))
    if job.subjob_shares and scheduled >= job.total:
        raise Conflict(f"job {job.job_number} is {FULLY_SCHEDULED}")
    return scheduled


@dataclass(frozen=True)
class Frozen:
    """One revision's snapshot (canonical JSON) with its sha256 and the money it states."""

    snapshot: Mapping[str, Any]
    sha256: str
    total: Decimal
    balance_due: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Header:
    number: str
    issued_on: date
    due_on: date


@dataclass
class IssuedInvoice:
    tenant_id: str
    job_id: UUID
    job_number: str
    header: Header
    currency: str
    revision: int
    current: Frozen
    upstream_number: bool = False  # the number is upstream's, not the tenant counter's
    voided: bool = False
    voided_reason: str | None = None
    paid: bool = False
    # What credit notes took off the current revision (a later revision freezes the job
    # as it stands, so earlier credits are in its figures already).
    credited: Credit = NO_CREDIT
    events: list[Event] = field(default_factory=list)

    @property
    def number(self) -> str:
        return self.header.number

    @property
    def billed(self) -> Decimal:
        """What the invoice bills now: its revision's total less what was credited."""
        return self.current.total - self.credited.amount

    @property
    def balance_due(self) -> Decimal:
        return self.current.balance_due - self.credited.amount

    @classmethod
    def issue(
        cls,
        job: Job,
        header: Header,
        frozen: Frozen,
        *,
        by: str,
        upstream_number: bool,
        at: datetime,
    ) -> "IssuedInvoice":
        invoice = cls(
            job.tenant_id,
            job.job_id,
            job.job_number,
            header,
            job.currency,
            1,
            frozen,
            upstream_number=upstream_number,
        )
        invoice.events.append(
            events.InvoiceIssued(
                job.job_id,
                job.job_number,
                header.number,
                header.issued_on,
                header.due_on,
                job.currency,
                frozen.total,
                frozen.balance_due,
                frozen.sha256,
                frozen.snapshot,
                by,
                upstream_number,
                at,
            )
        )
        invoice.settle()
        return invoice

    def refuse_if_voided(self, cause: str) -> None:
        if self.voided:
            raise Conflict(
                f"invoice {self.number} of job {self.job_number} is voided, and voiding is"
                f" final: {cause} cannot change it"
            )

    def revise(self, frozen: Frozen, cause: str, at: datetime) -> None:
        """Freeze ``frozen`` as the next revision, unless it is what is issued already
        (credit notes aside: lines raised back to the revision's own bill what was
        credited again, which only a new revision can say)."""
        self.refuse_if_voided(cause)
        if frozen.sha256 == self.current.sha256 and self.credited == NO_CREDIT:
            return
        previous_total = self.billed
        self.current, self.credited = frozen, NO_CREDIT
        self.revision += 1
        self.events.append(
            events.InvoiceRevised(
                self.job_id,
                self.job_number,
                self.number,
                self.revision,
                cause,
                REVISED_INVOICE,
                previous_total,
                frozen.total,
                frozen.balance_due,
                frozen.sha256,
                frozen.snapshot,
                at,
            )
        )
        self.settle()

    def credit_due(self, frozen: Frozen, convention: str, cause: str) -> Credit | None:
        """What a credit note must credit if the job now froze to ``frozen``; None when
        the tenant's convention or the change calls for a revision (``credit_notes``)."""
        billed_tax = self.current.tax - self.credited.tax
        return credit_for(convention, cause, (self.billed, billed_tax), (frozen.total, frozen.tax))

    def credit(self, note: CreditNote, at: datetime) -> None:
        """Issue ``note`` against the current revision, whose figures stay as issued."""
        self.refuse_if_voided(note.cause)
        previous = self.billed
        c = note.credit
        self.credited = Credit(self.credited.amount + c.amount, self.credited.tax + c.tax)
        self.events.append(
            events.InvoiceCredited(
                self.job_id,
                self.job_number,
                self.number,
                self.revision,
                note.number,
                note.issued_on,
                c.amount,
                c.tax,
                self.currency,
                note.cause,
                previous,
                self.billed,
                self.balance_due,
                at,
            )
        )
        self.settle()

    def settle(self) -> None:
        """Record the moment the balance reaches 0 (again, after a refund reopened it)."""
        settled = self.balance_due <= 0
        if settled and not self.paid:
            self.events.append(
                events.InvoicePaid(
                    self.job_id,
                    self.job_number,
                    self.number,
                    self.revision,
                    self.billed,
                    self.billed - self.balance_due,
                    self.currency,
                )
            )
        self.paid = settled

    def void(self, reason: str) -> None:
        if self.voided:
            raise Conflict(f"invoice {self.number} is voided already: voiding is final")
        self.voided, self.voided_reason = True, reason
        self.events.append(
            events.InvoiceVoided(self.job_id, self.job_number, self.number, self.revision, reason)
        )
