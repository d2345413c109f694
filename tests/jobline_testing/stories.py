"""Upstream facts for tests, built from the real contract models."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from jobline_contracts import facts
from jobline_contracts.envelope import Envelope, Payload
from jobline_contracts.types import Address

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class JobStory:
    """One job of one tenant, and the facts that move it."""

    tenant_id: str
    job_id: UUID = field(default_factory=uuid4)
    customer_id: UUID = field(default_factory=uuid4)
    property_id: UUID = field(default_factory=uuid4)
    technician_id: UUID = field(default_factory=uuid4)
    dispatch_id: UUID = field(default_factory=uuid4)
    number: str = field(default_factory=lambda: f"J-{uuid4().int % 10**8}")

    def envelope(self, payload: Payload) -> Envelope[Any]:
        return Envelope.wrap(payload, tenant_id=self.tenant_id)

    @property
    def key(self) -> str:
        return str(self.job_id)

    def customer(self, name: str = "Dana Whitfield") -> facts.CustomerUpserted:
        contact = facts.Contact(
            contact_id=uuid4(), name=name, phone="+15555550101", email="dana@example.com"
        )
        return facts.CustomerUpserted(customer_id=self.customer_id, name=name, contacts=[contact])

    def property(self) -> facts.PropertyUpserted:
        return facts.PropertyUpserted(
            property_id=self.property_id,
            customer_id=self.customer_id,
            address=Address(line1="12 Elm Street", city="Denver", region="CO", postal_code="80202"),
        )

    def technician(self) -> facts.TechnicianUpserted:
        return facts.TechnicianUpserted(
            technician_id=self.technician_id, name="Sam Ortiz", commission_rate=Decimal("0.1")
        )

    def dispatched(self, start: datetime = NOW) -> facts.JobDispatched:
        window = facts.ArrivalWindow(start=start, end=start + timedelta(hours=2))
        return facts.JobDispatched(
            job_id=self.job_id,
            job_number=self.number,
            customer_id=self.customer_id,
            property_id=self.property_id,
            technician_id=self.technician_id,
            summary="Replace water heater",
            schedule=window,
            currency="USD",
            tax_rate=Decimal("0.08"),
            line_items=[
                facts.LineItem(
                    line_id=uuid4(),
                    description="Water heater",
                    quantity=Decimal(1),
                    unit_price=Decimal("899.99"),
                ),
                facts.LineItem(
                    line_id=uuid4(),
                    description="Labour",
                    quantity=Decimal("2.5"),
                    unit_price=Decimal("95.00"),
                    taxable=False,
                ),
            ],
            dispatch=facts.DispatchRecord(
                dispatch_id=self.dispatch_id,
                technician_id=self.technician_id,
                arrival_window=window,
            ),
        )

    def started(self) -> facts.JobStarted:
        return facts.JobStarted(job_id=self.job_id)

    def work_completed(self) -> facts.JobWorkCompleted:
        return facts.JobWorkCompleted(job_id=self.job_id, completed_at=NOW)

    def quality_checked(self, outcome: str = "passed") -> facts.JobQualityChecked:
        return facts.JobQualityChecked(job_id=self.job_id, outcome=outcome)  # type: ignore[arg-type]

    def invoiced(
        self, issued_on: date | None = None, due_on: date | None = None
    ) -> facts.JobInvoiced:
        return facts.JobInvoiced(job_id=self.job_id, issued_on=issued_on, due_on=due_on)

    def paid(self, amount: str) -> facts.PaymentRecorded:
        return facts.PaymentRecorded(
            job_id=self.job_id, payment_id=uuid4(), amount=Decimal(amount), method="card"
        )

    def lines_changed(self, *extra: tuple[str, str]) -> facts.JobLinesChanged:
        """The dispatched lines plus ``extra`` (description, unit price) lines."""
        lines = list(self.dispatched().line_items)
        lines += [
            facts.LineItem(
                line_id=uuid4(), description=d, quantity=Decimal(1), unit_price=Decimal(p)
            )
            for d, p in extra
        ]
        return facts.JobLinesChanged(job_id=self.job_id, line_items=lines, tax_rate=Decimal("0.08"))

    def refunded(self, payment_id: UUID, amount: str) -> facts.PaymentRefunded:
        return facts.PaymentRefunded(
            job_id=self.job_id, payment_id=payment_id, refund_id=uuid4(), amount=Decimal(amount)
        )
