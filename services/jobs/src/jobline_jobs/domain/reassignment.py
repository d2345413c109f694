"""Reassigning a job's main technician, and unlinking a recall from its original."""

from uuid import UUID

from jobline_jobs.domain import events
from jobline_jobs.domain.errors import Conflict, ImpossibleTransition
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.workflow import Step


def reassign_technician(job: Job, technician_id: UUID, reason: str | None) -> None:
    """Make ``technician_id`` the job's main technician (who is known is the caller's
    check: the domain does not see the directory)."""
    if job.step is Step.CANCELED:
        raise ImpossibleTransition(f"job {job.job_number} is canceled: no technician to reassign")
    if technician_id == job.technician_id:
        raise Conflict(f"technician {technician_id} is job {job.job_number}'s technician already")
    previous, job.technician_id = job.technician_id, technician_id
    job.events.append(
        events.TechnicianReassigned(job.job_id, job.job_number, technician_id, previous, reason)
    )


def unlink_recall(recall: Job, reason: str, by: str) -> UUID:
    """Remove ``recall``'s link to its original; returns the original's id. The caller
    reverses the link's chargeback in the original's commission ledger."""
    original = recall.recall_of
    if original is None:
        raise Conflict(
            f"job {recall.job_number} is not linked to an original job"
            " (never linked, or unlinked already): there is no link to remove"
        )
    recall.recall_of = None
    recall.events.append(
        events.RecallUnlinked(recall.job_id, recall.job_number, original, reason, by)
    )
    return original
