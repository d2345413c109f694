"""The commission ledger: what technicians are owed on a job, as entries appended when
their fact happens and never changed afterwards.

Each entry names its technician, the job, its cause and the time it counts at, with a
signed amount (what it adds to what the technician is owed):

- ``earned`` at work completion: the technician's share of the job total (see
  ``commission_split``) times the commission rate in force then, recorded in the entry;
- ``held`` (negative) when the job is deferred, or when commission is earned or adjusted
  on a deferred job; ``released`` when it is un-deferred, dated at the release;
- ``adjusted`` when the job's total changes after completion (at the rate earned with);
- ``charged_back`` (negative) by a recall link; ``reversed`` when the link is removed.

A :class:`CommissionAccount` is one job's ledger. Load it only after locking its job:
every entry of a job is appended under the job's row lock, so two writers never
compute from the same stale sums. Zero amounts are not recorded.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid5

from jobline_jobs.domain import events
from jobline_jobs.domain.commission_split import SplitRule, shares
from jobline_jobs.domain.events import Event
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.money import to_cents

ZERO = Decimal("0.00")


class EntryKind(StrEnum):
    EARNED = "earned"
    HELD = "held"
    RELEASED = "released"
    ADJUSTED = "adjusted"
    CHARGED_BACK = "charged_back"
    REVERSED = "reversed"


@dataclass(frozen=True)
class Entry:
    entry_id: UUID
    technician_id: UUID
    kind: EntryKind
    amount: Decimal
    cause: str
    at: datetime
    recorded_by: UUID  # the message (fact or request) that caused it
    basis: Decimal | None = None  # the technician's share of the job total
    rate: Decimal | None = None
    chargeback_id: UUID | None = None
    recall_job_id: UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CommissionEntryRecorded(Event):
    currency: str
    entry: Entry


@dataclass(frozen=True)
class Cause:
    """Why entries are appended: the fact or action (``name``), the time the entries
    count at, and the message (fact or request) that caused them."""

    name: str
    at: datetime
    message_id: UUID


@dataclass(frozen=True)
class CommissionTerms:
    """What earning depends on besides the job: the tenant's rule and current rates."""

    split_rule: SplitRule
    rates: Mapping[UUID, Decimal]


@dataclass
class CommissionAccount:
    tenant_id: str
    job_id: UUID
    job_number: str
    currency: str
    entries: list[Entry] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def _sum(self, technician_id: UUID, *kinds: EntryKind) -> Decimal:
        mine = (e for e in self.entries if e.technician_id == technician_id)
        return sum((e.amount for e in mine if e.kind in kinds), ZERO)

    def accrued(self, technician_id: UUID) -> Decimal:
        """What the technician earned on the job, adjustments included."""
        return self._sum(technician_id, EntryKind.EARNED, EntryKind.ADJUSTED)

    def on_hold(self, technician_id: UUID) -> Decimal:
        """What is held back from the technician and not released yet."""
        return -self._sum(technician_id, EntryKind.HELD, EntryKind.RELEASED)

    def technicians(self) -> list[UUID]:
        return list(dict.fromkeys(e.technician_id for e in self.entries))

    def earned_rate(self, technician_id: UUID) -> Decimal | None:
        return next(
            (
                e.rate
                for e in self.entries
                if e.technician_id == technician_id and e.kind is EntryKind.EARNED
            ),
            None,
        )

    def record(
        self,
        kind: EntryKind,
        technician_id: UUID,
        amount: Decimal,
        why: Cause,
        *,
        basis: Decimal | None = None,
        rate: Decimal | None = None,
        chargeback_id: UUID | None = None,
        recall_job_id: UUID | None = None,
        reason: str | None = None,
    ) -> None:
        """Append an entry (unless its amount is zero). Its id derives from the message
        that caused it, so a batch and its one-by-one replay give the same ids."""
        if amount == 0:
            return
        name = f"{kind.value}/{self.job_id}/{technician_id}/{chargeback_id}"
        entry = Entry(
            uuid5(why.message_id, name),
            *(technician_id, kind, amount, why.name, why.at, why.message_id, basis, rate),
            *(chargeback_id, recall_job_id, reason),
        )
        self.entries.append(entry)
        self.events.append(
            CommissionEntryRecorded(self.job_id, self.job_number, self.currency, entry)
        )


def earn(account: CommissionAccount, job: Job, terms: CommissionTerms, why: Cause) -> None:
    """Work completed: each of the crew earns their share times their rate now, less what
    they earned on the job before (work completed again after a failed check)."""
    for technician, share in shares(job, terms.split_rule).items():
        rate = terms.rates.get(technician, ZERO)
        amount = to_cents(share * rate) - account.accrued(technician)
        account.record(EntryKind.EARNED, technician, amount, why, basis=share, rate=rate)
        if job.deferred_at is not None:
            account.record(EntryKind.HELD, technician, -amount, why)


def hold(account: CommissionAccount, why: Cause) -> None:
    """The job was deferred: hold back what each technician accrued on it."""
    for technician in account.technicians():
        held = account.accrued(technician) - account.on_hold(technician)
        account.record(EntryKind.HELD, technician, -held, why)


def release(account: CommissionAccount, why: Cause) -> None:
    """The deferral ended: release what is held, dated at the release."""
    for technician in account.technicians():
        account.record(EntryKind.RELEASED, technician, account.on_hold(technician), why)


def adjust(
    account: CommissionAccount, job: Job, terms: CommissionTerms, total: Decimal, why: Cause
) -> None:
    """The job's total changed after completion: bring each technician's commission to
    their share of the new total times the rate they earned at (nothing earned, nothing
    to adjust; work not completed yet earns at completion instead)."""
    if job.completed_at is None or not any(e.kind is EntryKind.EARNED for e in account.entries):
        return
    split = shares(job, terms.split_rule, total)
    for technician in dict.fromkeys([*split, *account.technicians()]):
        share = split.get(technician, ZERO)
        rate = account.earned_rate(technician)
        if rate is None:
            rate = terms.rates.get(technician, ZERO)
        delta = to_cents(share * rate) - account.accrued(technician)
        account.record(EntryKind.ADJUSTED, technician, delta, why, basis=share, rate=rate)
        if job.deferred_at is not None:
            account.record(EntryKind.HELD, technician, -delta, why)


def charge_back(account: CommissionAccount, charged: events.ChargebackRecorded, why: Cause) -> None:
    """A recall link charged the original job's technician back."""
    account.record(
        EntryKind.CHARGED_BACK,
        charged.technician_id,
        -charged.amount,
        why,
        chargeback_id=charged.chargeback_id,
        recall_job_id=charged.recall_job_id,
    )


def reverse_chargebacks(
    account: CommissionAccount, recall_job_id: UUID, reason: str, why: Cause
) -> None:
    """The recall's link was removed: reverse each of its chargebacks not yet reversed."""
    reversed_ = {e.chargeback_id for e in account.entries if e.kind is EntryKind.REVERSED}
    for e in list(account.entries):
        if (
            e.kind is EntryKind.CHARGED_BACK
            and e.recall_job_id == recall_job_id
            and e.chargeback_id not in reversed_
        ):
            account.record(
                EntryKind.REVERSED,
                e.technician_id,
                -e.amount,
                why,
                chargeback_id=e.chargeback_id,
                recall_job_id=recall_job_id,
                reason=reason,
            )
