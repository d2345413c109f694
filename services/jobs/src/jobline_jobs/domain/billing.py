"""Staged billing: how a parent job's total is split into subjob shares.

Shares never exceed 100 % of the parent total and money splits exactly to the cent:
a percentage share is rounded down to the cent, and the share that completes 100 %
takes whatever is left, so the shares always add up to the parent total.

A share is of the parent's tax-inclusive total, and carries its part of the parent's tax
split the same way: rounded down to the cent in proportion to the share, the share that
completes 100 % taking the rest, so the tax parts of a fully scheduled parent add up to
its tax.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from jobline_jobs.domain.errors import InvalidRequest

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Share:
    """One scheduled share of a parent: its subjob, amount (tax included), percentage if
    given as one, and the tax part of its amount."""

    job_id: UUID
    amount: Decimal
    percent: Decimal | None
    tax: Decimal = Decimal("0.00")


def scheduled_percent(total: Decimal, shares: Sequence[Share]) -> Decimal:
    """How much of the parent is scheduled, in percent (amount shares count by value)."""
    if total <= 0:
        return HUNDRED if shares else Decimal(0)
    return sum(
        (s.percent if s.percent is not None else s.amount / total * HUNDRED for s in shares),
        Decimal(0),
    )


def next_share(
    total: Decimal, shares: Sequence[Share], *, percent: Decimal | None, amount: Decimal | None
) -> Decimal:
    """The amount of a new share, or InvalidRequest if it would overshoot the parent."""
    allocated = sum((s.amount for s in shares), Decimal("0.00"))
    remaining = total - allocated
    if (percent is None) == (amount is None):
        raise InvalidRequest("give the share as exactly one of percent or amount")
    if amount is not None:
        if amount <= 0 or amount != amount.quantize(CENT):
            raise InvalidRequest("an amount share must be positive, in whole cents")
        if amount > remaining:
            raise InvalidRequest(f"the share of {amount} exceeds what remains ({remaining})")
        return amount
    assert percent is not None  # noqa: S101 - narrowed by the check above
    if not Decimal(0) < percent <= HUNDRED:
        raise InvalidRequest("a percent share must be above 0 and at most 100")
    after = scheduled_percent(total, shares) + percent
    if after > HUNDRED:
        raise InvalidRequest(
            f"shares would reach {after.normalize()} % of the parent; at most 100 % may be"
            f" scheduled ({remaining} remains)"
        )
    if after == HUNDRED:
        return remaining  # the last share takes the cents the others rounded away
    return (total * percent / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)


def tax_part(total: Decimal, tax: Decimal, shares: Sequence[Share], amount: Decimal) -> Decimal:
    """The tax in a new share of ``amount`` of a parent whose ``total`` includes ``tax``,
    given the ``shares`` scheduled before it."""
    allocated = sum((s.amount for s in shares), Decimal("0.00"))
    if allocated + amount == total:  # the last share: what the others left of the tax
        return tax - sum((s.tax for s in shares), Decimal("0.00"))
    if total <= 0:
        return Decimal("0.00")
    return (tax * amount / total).quantize(CENT, rounding=ROUND_DOWN)
