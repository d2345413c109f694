"""Recalls and chargebacks: what a recall costs the technician whose work failed.

Policy (per tenant, default 100 %): the chargeback is what the fixing technician would
normally charge for the recall's work — each recall line at their rate-card price for its
code, or at the line's own price when their card has no such code — times the tenant's
chargeback percentage, rounded to the cent, and never more than the commission the
original technician earned on the original job.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from jobline_jobs.domain import events
from jobline_jobs.domain.commands import LineItem
from jobline_jobs.domain.errors import Conflict, ImpossibleTransition, InvalidRequest
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.money import to_cents
from jobline_jobs.domain.workflow import Step


@dataclass(frozen=True)
class Chargeback:
    normal_charge: Decimal
    policy_percent: Decimal
    earned_commission: Decimal
    amount: Decimal


def normal_charge(lines: Sequence[LineItem], rate_card: Mapping[str, Decimal]) -> Decimal:
    """What the fixing technician normally charges for these lines."""
    return sum(
        (
            to_cents(line.quantity * rate_card.get(line.code or "", line.unit_price))
            for line in lines
        ),
        Decimal("0.00"),
    )


def chargeback(
    lines: Sequence[LineItem],
    fixing_rate_card: Mapping[str, Decimal],
    policy_percent: Decimal,
    earned_commission: Decimal,
) -> Chargeback:
    charge = normal_charge(lines, fixing_rate_card)
    amount = min(to_cents(charge * policy_percent), earned_commission)
    return Chargeback(charge, policy_percent, earned_commission, max(amount, Decimal("0.00")))


@dataclass(frozen=True)
class ChargebackTerms:
    """What the chargeback depends on besides the two jobs."""

    fixing_rate_card: Mapping[str, Decimal]
    policy_percent: Decimal
    original_commission_rate: Decimal


def link_recall(
    recall: Job,
    original: Job,
    *,
    reason: str,
    chargeback_id: UUID,
    originals_of_original: frozenset[UUID],
    terms: ChargebackTerms,
) -> None:
    """Tie ``recall`` to ``original`` and charge the original technician back.

    ``originals_of_original`` is the chain of jobs ``original`` is itself a recall of,
    so that a link can never close a cycle.
    """
    if recall.job_id == original.job_id:
        raise InvalidRequest("a job cannot be a recall of itself")
    if recall.recall_of is not None:
        raise Conflict(f"job {recall.job_number} is a recall of another job already")
    if recall.job_id in originals_of_original:
        raise InvalidRequest(
            f"job {original.job_number} is itself a recall of job {recall.job_number}:"
            " the link would make a cycle"
        )
    if recall.step is Step.CANCELED:
        raise ImpossibleTransition(f"job {recall.job_number} is canceled")
    if original.completed_at is None:
        raise ImpossibleTransition(
            f"the work of job {original.job_number} is not completed; only finished work"
            " can be recalled"
        )
    earned = to_cents(original.total * terms.original_commission_rate)
    owed = chargeback(recall.line_items, terms.fixing_rate_card, terms.policy_percent, earned)
    recall.recall_of = original.job_id
    recorded = owed.amount > 0
    recall.events.append(
        events.RecallLinked(
            recall.job_id,
            recall.job_number,
            original.job_id,
            reason,
            chargeback_id if recorded else None,
            owed.amount,
        )
    )
    if recorded:
        original.events.append(
            events.ChargebackRecorded(
                original.job_id,
                original.job_number,
                chargeback_id,
                recall.job_id,
                original.technician_id,
                recall.technician_id,
                owed.normal_charge,
                owed.policy_percent,
                owed.earned_commission,
                owed.amount,
            )
        )
