"""The rows a job's change writes: its own (inserted or updated), its line items, and
what its events imply (visits, their history, payments, recall links, chargebacks)."""

from collections.abc import Callable

from jobline_jobs.adapters import book_rows, commission_rows, rows
from jobline_jobs.domain import events
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer.unit_of_work import Causation

Add = Callable[[rows.Row], None]


def rows_of(job: Job, causation: Causation, *, new: bool) -> list[rows.Row]:
    """The rows of ``job`` as changed by the message ``causation`` names."""
    written: list[rows.Row] = []
    if new:
        written.append(_insert_row(job))
        written.extend(_line_rows(job))
    else:
        written.append(_update_row(job))
    for event in job.events:
        _event_rows(job, event, causation, written.append)
    return written


def _event_rows(job: Job, event: events.Event, causation: Causation, add: Add) -> None:
    """Rows that follow from an event: visits, their history, payments, recalls."""
    tenant, at = job.tenant_id, causation.occurred_at
    match event:
        case events.DispatchAssigned():
            add(
                rows.DispatchInsert(
                    tenant,
                    event.dispatch_id,
                    job.job_id,
                    event.technician_id,
                    event.window_start,
                    event.window_end,
                    "scheduled",
                )
            )
            add(
                rows.DispatchHistory(
                    tenant, event.dispatch_id, "scheduled", at, causation.message_id
                )
            )
        case events.DispatchStatusChanged():
            status = event.to_status.value
            add(rows.DispatchUpdate(tenant, event.dispatch_id, status))
            add(rows.DispatchHistory(tenant, event.dispatch_id, status, at, causation.message_id))
        case events.PaymentRecorded():
            add(
                rows.PaymentInsert(
                    tenant, event.payment_id, job.job_id, event.amount, event.method, at
                )
            )
        case events.RecallLinked():
            add(
                rows.RecallLinkInsert(
                    tenant, job.job_id, event.original_job_id, event.reason, at, causation.actor
                )
            )
        case events.ChargebackRecorded():
            add(
                rows.ChargebackInsert(
                    tenant,
                    event.chargeback_id,
                    event.recall_job_id,
                    job.job_id,
                    event.technician_id,
                    event.fixing_technician_id,
                    event.normal_charge,
                    event.policy_percent,
                    event.earned_commission,
                    event.amount,
                    at,
                )
            )
        case events.SubjobScheduled():
            add(rows.ScheduledAmountUpdate(tenant, job.job_id, event.scheduled_total))
        case events.SubjobBecameBillable():  # a new subjob billable at once: a no-op
            add(rows.SubjobBillableUpdate(tenant, job.job_id))
        # issue 16, commissions
        case events.TechnicianReassigned():
            add(commission_rows.JobTechnicianUpdate(tenant, job.job_id, event.technician_id))
        case events.RecallUnlinked():
            add(commission_rows.RecallUnlink(tenant, job.job_id, at, event.by, event.reason))
        case _:
            book_rows.job_event_rows(job, event, at, add)  # issue 16: the books


def _insert_row(job: Job) -> rows.JobInsert:
    share = job.share
    return rows.JobInsert(
        job.tenant_id,
        job.job_id,
        job.job_number,
        job.customer_id,
        job.property_id,
        job.technician_id,
        job.summary,
        job.step.value,
        job.scheduled_start,
        job.scheduled_end,
        job.completed_at,
        job.currency,
        job.tax_rate,
        job.total,
        job.amount_paid,
        job.parent_job_id,
        share.percent if share else None,
        share.amount if share else None,
        job.bill_on,
        job.billable,
        share.tax if share else None,
    )


def _line_rows(job: Job) -> list[rows.LineItemInsert]:
    t, j = job.tenant_id, job.job_id
    return [
        rows.LineItemInsert(
            t, j, li.line_id, n, li.code, li.description, li.quantity, li.unit_price, li.taxable
        )
        for n, li in enumerate(job.line_items)
    ]


def _update_row(job: Job) -> rows.JobUpdate:
    return rows.JobUpdate(
        job.tenant_id,
        job.job_id,
        job.step.value,
        job.scheduled_start,
        job.scheduled_end,
        job.completed_at,
        job.amount_paid,
        job.deferred_at,
        job.deferral_reason,
    )
