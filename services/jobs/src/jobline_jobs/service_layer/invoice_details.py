"""What an invoice prints beyond its lines and totals: its title, the seller's details,
the payments recorded, the service date and the technician.

``build_snapshot`` spreads this into the snapshot in one call, wherever it lives, so the
fields stay optional: a job or tenant read that lacks a key leaves its field out.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jobline_contracts.invoicing import PaymentLine, Seller


def invoice_details(job: dict[str, Any], tenant: dict[str, Any]) -> dict[str, Any]:
    """The snapshot fields of the title, seller, payments, service date and technician."""
    zone = ZoneInfo(tenant.get("time_zone") or "UTC")
    completed: datetime | None = job.get("completed_at")
    return {
        "invoice_title": tenant.get("printed_title"),
        "seller": seller_details(tenant),
        "payments": payment_lines(job.get("payments") or [], zone),
        "service_date": None if completed is None else completed.astimezone(zone).date(),
        "technician_name": job.get("technician_name"),
    }


def seller_details(tenant: dict[str, Any]) -> Seller | None:
    """The seller's phone, email and tax id; None when the tenant set none of them."""
    phone, email, tax_id = (tenant.get(k) for k in ("business_phone", "business_email", "tax_id"))
    if phone is None and email is None and tax_id is None:
        return None
    label = tenant.get("printed_tax_id_label") if tax_id is not None else None
    return Seller(phone=phone, email=email, tax_id=tax_id, tax_id_label=label)


def payment_lines(payments: list[dict[str, Any]], zone: ZoneInfo) -> list[PaymentLine]:
    """Each recorded payment, dated in the tenant's zone, oldest first."""
    ordered = sorted(payments, key=lambda p: p["recorded_at"])
    return [
        PaymentLine(
            paid_on=p["recorded_at"].astimezone(zone).date(), method=p["method"], amount=p["amount"]
        )
        for p in ordered
    ]
