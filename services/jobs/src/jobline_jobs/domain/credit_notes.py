"""Credit notes: how a tenant whose convention is ``credit_note`` records a change that
lowers what an issued invoice bills. The invoice stays as issued; a credit note, numbered
from the tenant's own credit-note counter and dated the day of the change, credits the
difference with its tax part.

Only a lowered total is credited, and only when the job's lines change: a raise, a
payment or a refund is a new revision of the invoice under either convention (a raise
cannot be credited, and a payment or refund changes what was paid, not what is billed).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

REVISED_INVOICE = "revised_invoice"
CREDIT_NOTE = "credit_note"
CREDITED_CAUSES = frozenset({"job.lines_changed"})


def credit_note_number(seq: int) -> str:
    return f"CN-{seq:06d}"


@dataclass(frozen=True)
class Credit:
    """What a credit note would credit: the amount lowered and its tax part."""

    amount: Decimal
    tax: Decimal


NO_CREDIT = Credit(Decimal("0.00"), Decimal("0.00"))


@dataclass(frozen=True)
class CreditNote:
    """A credit note against one revision of an issued invoice."""

    number: str
    revision: int
    issued_on: date
    credit: Credit
    cause: str


def credit_for(
    convention: str, cause: str, billed: tuple[Decimal, Decimal], now: tuple[Decimal, Decimal]
) -> Credit | None:
    """The credit a change from ``billed`` to ``now`` (each a total and its tax) calls
    for; None when the change is a revision instead. A change whose tax moves against its
    total (a total lowered while its tax rose) is a revision too: a credit note credits
    tax only in the direction it credits the amount."""
    amount, tax = billed[0] - now[0], billed[1] - now[1]
    if convention != CREDIT_NOTE or cause not in CREDITED_CAUSES or amount <= 0:
        return None
    if not Decimal(0) <= tax <= amount:
        return None
    return Credit(amount, tax)
