"""Commands to the invoicing service and the events it reports back.

A render command carries a self-contained snapshot: the invoicing service needs no
other source to draw the PDF, and the same snapshot always yields the same document.
"""

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints

from jobline_contracts.envelope import Payload
from jobline_contracts.tenancy import BlobKey
from jobline_contracts.types import (
    Address,
    ContractModel,
    CurrencyCode,
    InvoiceNo,
    JobNumber,
    Money,
    Name,
    Quantity,
    Rate,
    ShortText,
    Text,
)

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Branding(ContractModel):
    """How the tenant's invoices look."""

    business_name: Name
    address: Address | None = None
    logo_blob_key: BlobKey | None = None
    primary_colour: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1f4e79"
    locale: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")] = "en_US"


class InvoiceLine(ContractModel):
    """One printed invoice line."""

    description: Text
    quantity: Quantity
    unit_price: Money
    amount: Money
    taxable: bool = True


class ScheduledShare(ContractModel):
    """One share in a parent's billing schedule."""

    job_number: JobNumber
    title: ShortText
    amount: Money = Field(description="The share of the parent's tax-inclusive total")
    tax: Money | None = Field(default=None, description="The tax part of amount")
    bill_on: date


class BillingShare(ContractModel):
    """For a subjob: its share of the parent and the parent's whole schedule."""

    parent_job_number: JobNumber
    share_percent: Annotated[Rate, Field(description="Fraction of the parent total")] | None = None
    share_amount: Money
    schedule: list[ScheduledShare] = Field(default_factory=list)


_SellerLine = Annotated[str, StringConstraints(max_length=40)]


class Seller(ContractModel):
    """How the customer reaches the seller, and the tax id an invoice must show."""

    phone: _SellerLine | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    tax_id: _SellerLine | None = None
    tax_id_label: Annotated[_SellerLine, Field(description="e.g. ABN, VAT number")] | None = None


class PaymentLine(ContractModel):
    """One payment recorded against the job."""

    paid_on: Annotated[date, Field(description="In the tenant's time zone")]
    method: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    amount: Money


class InvoiceSnapshot(ContractModel):
    """Everything printed on one invoice."""

    invoice_number: InvoiceNo
    issued_on: date
    due_on: date
    job_number: JobNumber
    branding: Branding
    customer_name: Name
    billing_address: Address | None = None
    property_address: Address
    currency: CurrencyCode
    lines: list[InvoiceLine]
    subtotal: Money
    tax_rate: Rate
    tax: Money
    total: Money
    amount_paid: Money
    balance_due: Money
    billing_share: BillingShare | None = None
    invoice_title: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=60),
            Field(description='What local law asks the document be called ("Tax Invoice")'),
        ]
        | None
    ) = None
    seller: Seller | None = None
    payments: list[PaymentLine] = Field(default_factory=list)
    service_date: (
        Annotated[date, Field(description="When the work was completed, tenant's zone")] | None
    ) = None
    technician_name: ShortText | None = None


class RenderInvoice(Payload):
    """Render the invoice for this snapshot (a no-op if it was rendered before)."""

    message_type = "invoice.render"

    job_id: UUID
    snapshot_sha256: Sha256
    snapshot: InvoiceSnapshot

    def blob_keys(self) -> tuple[str, ...]:
        logo = self.snapshot.branding.logo_blob_key
        return () if logo is None else (logo,)


class InvoiceRendered(Payload):
    """The PDF for a snapshot is in the blob store."""

    message_type = "invoice.rendered"

    job_id: UUID
    invoice_number: InvoiceNo
    snapshot_sha256: Sha256
    blob_key: Annotated[
        BlobKey,
        Field(description="invoices/<tenant_id>/...: another tenant's key is dead-lettered"),
    ]
    sha256: Sha256 = Field(description="sha256 of the PDF bytes")
    pages: int = Field(ge=1)
    bytes: int = Field(ge=1)

    def blob_keys(self) -> tuple[str, ...]:
        return (self.blob_key,)


class InvoiceRenderFailed(Payload):
    """The PDF for a snapshot could not be rendered."""

    message_type = "invoice.render_failed"

    job_id: UUID
    invoice_number: InvoiceNo
    snapshot_sha256: Sha256
    reason: Annotated[Text, Field(description="Cut to 2000 characters")]


ALL_INVOICING_COMMANDS: tuple[type[Payload], ...] = (RenderInvoice,)
ALL_INVOICING_EVENTS: tuple[type[Payload], ...] = (InvoiceRendered, InvoiceRenderFailed)
