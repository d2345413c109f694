"""Exact money: amounts are Decimal, rounded half up to the cent where invoices print them."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from jobline_jobs.domain import commands

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round half up to whole cents, as invoices print it."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal

    @classmethod
    def of(cls, lines: tuple[commands.LineItem, ...], tax_rate: Decimal) -> "Totals":
        # Each line is rounded to cents first: the invoice prints line amounts, and the
        # printed lines must add up to the printed subtotal.
        amounts = [(to_cents(li.quantity * li.unit_price), li.taxable) for li in lines]
        subtotal = sum((a for a, _ in amounts), Decimal("0.00"))
        taxable = sum((a for a, t in amounts if t), Decimal("0.00"))
        tax = to_cents(taxable * tax_rate)
        return cls(subtotal=subtotal, tax=tax, total=subtotal + tax)
