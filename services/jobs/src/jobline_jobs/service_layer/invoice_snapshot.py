"""The invoice snapshot: everything the PDF prints, built from the job when its invoice
is issued or revised (``book_handlers``), then frozen with the revision.

The stored snapshot is what the API serves and the PDF is rendered from; its sha256 (of
the canonical JSON) picks the PDF. A PDF rendered from any other snapshot is never served
as current.
"""

import hashlib
import json
from decimal import Decimal
from typing import Any

from jobline_contracts.invoicing import (
    BillingShare,
    Branding,
    InvoiceLine,
    InvoiceSnapshot,
    ScheduledShare,
)
from jobline_contracts.types import Address
from jobline_jobs.domain.money import to_cents
from jobline_jobs.service_layer.invoice_details import invoice_details
from jobline_jobs.service_layer.queries import InvoiceHeader

HUNDRED = Decimal(100)


def canonical_sha256(dumped: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of a snapshot as dumped
    (``model_dump(mode="json")``, done once by the caller, which keeps it too)."""
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _address(raw: dict[str, Any] | None) -> Address | None:
    return None if raw is None else Address.model_validate(raw)


def build_snapshot(
    job: dict[str, Any],
    tenant: dict[str, Any],
    header: InvoiceHeader,
    schedule: list[dict[str, Any]],
    parent_number: str | None,
) -> InvoiceSnapshot:
    """Everything the PDF prints, from the job as it is now."""
    lines = [
        InvoiceLine(
            description=li["description"],
            quantity=li["quantity"],
            unit_price=li["unit_price"],
            amount=to_cents(li["quantity"] * li["unit_price"]),
            taxable=li["taxable"],
        )
        for li in job["line_items"]
    ]
    subtotal = sum((li.amount for li in lines), Decimal("0.00"))
    tax = job["total"] - subtotal
    share = None
    if job["parent_job_id"] is not None and parent_number is not None:
        percent = job["share_percent"]
        share = BillingShare(
            parent_job_number=parent_number,
            share_percent=None if percent is None else percent / HUNDRED,
            share_amount=job["share_amount"],
            schedule=[
                ScheduledShare(
                    job_number=s["job_number"],
                    title=s["title"],
                    amount=s["share_amount"],
                    tax=s.get("share_tax"),
                    bill_on=s["bill_on"],
                )
                for s in schedule
            ],
        )
    return InvoiceSnapshot(
        invoice_number=header.number,
        issued_on=header.issued_on,
        due_on=header.due_on,
        job_number=job["job_number"],
        branding=Branding(
            business_name=tenant["name"],
            address=_address(tenant["business_address"]),
            logo_blob_key=tenant["logo_blob_key"],
            primary_colour=tenant["primary_colour"],
            locale=tenant["locale"],
        ),
        customer_name=job["customer_name"] or "Customer",
        billing_address=_address(job["billing_address"]),
        property_address=_address(job["property_address_parts"])
        or Address(line1=job["property_address"] or "Address not known", city="-"),
        currency=job["currency"],
        lines=lines,
        subtotal=subtotal,
        tax_rate=job["tax_rate"],
        tax=tax,
        total=job["total"],
        amount_paid=job["amount_paid"],
        balance_due=job["total"] - job["amount_paid"],
        billing_share=share,
        **invoice_details(job, tenant),
    )
