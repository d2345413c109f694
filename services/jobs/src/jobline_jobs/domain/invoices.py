"""An invoice's number and dates: given once, on first need, from the tenant's counter."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from jobline_jobs.domain.events import Event, InvoiceNumbered


@dataclass(frozen=True)
class InvoiceTerms:
    """The tenant's next invoice sequence number, and what dates its invoices."""

    seq: int
    time_zone: str
    payment_terms_days: int


@dataclass
class Invoice:
    tenant_id: str
    job_id: UUID
    number: str
    issued_on: date
    due_on: date
    events: list[Event] = field(default_factory=list)

    @classmethod
    def numbered(
        cls, tenant_id: str, job_id: UUID, job_number: str, terms: InvoiceTerms, at: datetime
    ) -> "Invoice":
        """Issued on the tenant's day of ``at``, due after its payment terms."""
        issued = at.astimezone(ZoneInfo(terms.time_zone)).date()
        invoice = cls(
            tenant_id,
            job_id,
            f"INV-{terms.seq:06d}",
            issued,
            issued + timedelta(days=terms.payment_terms_days),
        )
        invoice.events.append(
            InvoiceNumbered(job_id, job_number, invoice.number, invoice.issued_on, invoice.due_on)
        )
        return invoice
