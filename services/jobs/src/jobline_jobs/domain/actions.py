"""Which of the job actions an operator may take now, and why not when not.

Pure rules over a few facts about the job, so the API, the console and the tests all
see the same answer.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jobline_jobs.domain.workflow import Step

ISSUABLE = frozenset({Step.AWAITING_BILLING})


class Action(StrEnum):
    DOWNLOAD_INVOICE = "download_invoice"
    RESEND_INVOICE = "resend_invoice"
    DEFER_COMMISSION = "defer_commission"
    VIEW_INVOICE_DISPATCHES = "view_invoice_dispatches"
    SEND_COMMUNICATION = "send_communication"
    CREATE_SUBJOB = "create_subjob"
    LINK_RECALL = "link_recall"
    ISSUE_INVOICE = "issue_invoice"  # issue 16


@dataclass(frozen=True)
class JobFacts:
    step: Step
    deferred: bool
    is_subjob: bool
    is_recall: bool
    fully_scheduled: bool
    has_line_items: bool
    has_email_contact: bool
    has_reachable_contact: bool
    billed_by_subjobs: bool = False  # a parent 100 % scheduled into subjobs
    due_to_bill_on: date | None = None  # a subjob scheduled, not billable, until then
    invoice_issued: bool = False


@dataclass(frozen=True)
class Availability:
    action: Action
    allowed: bool
    reason: str | None = None


def _invoice_refusal(job: JobFacts) -> str | None:
    if job.billed_by_subjobs:
        return "100 % of the job is billed by its subjobs: it has a statement, not an invoice"
    if job.due_to_bill_on is not None:
        return f"the subjob is due to bill on {job.due_to_bill_on}; not billable before"
    if not job.invoice_issued:
        if job.step in ISSUABLE:
            return "the invoice is not issued yet; issue it first"
        return f"the job is {job.step.words}; its invoice is not issued"
    return None


def _issue_refusal(job: JobFacts) -> str | None:
    if job.invoice_issued:
        return "the invoice is issued already"
    if job.step not in ISSUABLE:
        return f"the job is {job.step.words}; an invoice is issued while awaiting billing"
    if job.billed_by_subjobs or (job.fully_scheduled and not job.is_subjob):
        return "fully scheduled into subjobs: bill the subjobs; the parent has a statement"
    if job.due_to_bill_on is not None:
        return f"the subjob is due to bill on {job.due_to_bill_on}; not billable before"
    if not job.has_line_items:
        return "the job has no line items to bill"
    return None


def _subjob_refusal(job: JobFacts, *, final: bool) -> str | None:
    if job.is_subjob:
        return "a subjob cannot have subjobs"
    if job.invoice_issued:
        return "the job's invoice is issued: its money is billed already"
    if final:
        return f"the job is {job.step.words}"
    if job.fully_scheduled:
        return "100 % of the job is scheduled in subjobs already"
    return None


def _refusals(job: JobFacts) -> dict[Action, str | None]:
    invoice = _invoice_refusal(job)
    final = job.step in {Step.PAID, Step.CANCELED}
    return {
        Action.DOWNLOAD_INVOICE: invoice,
        Action.RESEND_INVOICE: invoice
        or (None if job.has_email_contact else "no customer or property contact has an email"),
        Action.DEFER_COMMISSION: "the job is deferred already; un-defer it instead"
        if job.deferred
        else ("a canceled job earns no commission" if job.step is Step.CANCELED else None),
        Action.VIEW_INVOICE_DISPATCHES: None,
        Action.SEND_COMMUNICATION: None
        if job.has_reachable_contact
        else "no customer or property contact has a phone number or email",
        Action.CREATE_SUBJOB: _subjob_refusal(job, final=final),
        Action.LINK_RECALL: "the job is linked to its original already"
        if job.is_recall
        else ("a canceled job cannot be a recall" if job.step is Step.CANCELED else None),
        Action.ISSUE_INVOICE: _issue_refusal(job),
    }


def available_actions(job: JobFacts) -> list[Availability]:
    """Every action, in the menu's order, with whether it is allowed now."""
    return [
        Availability(action, allowed=reason is None, reason=reason)
        for action, reason in _refusals(job).items()
    ]
