"""Where staged billing stands in the way of a job's invoice: a parent fully scheduled into
subjobs (its subjobs bill it; it has a statement) and a subjob before its bill_on."""

from typing import Any

from jobline_jobs.entrypoints.api.errors import ApiError
from jobline_jobs.entrypoints.api.presenters import billed_by_subjobs
from jobline_jobs.service_layer.job_state import statement_path


def refuse_staged(job: dict[str, Any]) -> None:
    """409 for the invoice (its figures, PDF, sends) of a job staged billing bills otherwise."""
    if billed_by_subjobs(job):
        path = statement_path(job["job_id"])
        raise ApiError(
            409,
            "billed_by_subjobs",
            f"job {job['job_number']} is fully scheduled into subjobs, which bill it: it has"
            f" no invoice for its total; its statement is at {path}",
            {"statement": path},
        )
    if not job["billable"]:
        raise ApiError(
            409,
            "not_billable_yet",
            f"subjob {job['job_number']} is due to bill on {job['bill_on']}; its invoice"
            " exists from then",
            {"bill_on": str(job["bill_on"])},
        )
