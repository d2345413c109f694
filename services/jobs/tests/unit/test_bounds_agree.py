"""What Jobline takes in fits what it publishes: each text a lifecycle event carries is
bounded at least as generously where it enters, a fact's field or the API's request, so
no event made from accepted input can fail its own schema (and crash the unit of work)."""

from typing import Any

import pytest
from pydantic import BaseModel

from jobline_contracts import facts, lifecycle
from jobline_jobs.domain.documents import safe_filename
from jobline_jobs.entrypoints.api import commission_schemas, schemas

pytestmark = pytest.mark.unit

# (where it enters, field) -> (the lifecycle event, field) it is published in
FLOWS: list[tuple[type[BaseModel], str, type[BaseModel], str]] = [
    (facts.JobCanceled, "reason", lifecycle.JobStatusChanged, "reason"),
    (facts.JobQualityChecked, "notes", lifecycle.JobStatusChanged, "notes"),
    (facts.DocumentAdded, "filename", lifecycle.JobDocumentAdded, "filename"),
    (facts.JobInvoiced, "invoice_number", lifecycle.JobInvoiceIssued, "invoice_number"),
    (facts.PaymentRefunded, "reason", lifecycle.JobPaymentRefunded, "reason"),
    (facts.InvoiceVoided, "reason", lifecycle.JobInvoiceVoided, "reason"),
    (facts.TechnicianReassigned, "reason", lifecycle.JobTechnicianReassigned, "reason"),
    (schemas.DeferRequest, "reason", lifecycle.JobDeferred, "reason"),
    (schemas.DeferRequest, "reason", lifecycle.CommissionEntryRecorded, "reason"),
    (schemas.SubjobRequest, "title", lifecycle.JobSubjobScheduled, "title"),
    (schemas.RecallLinkRequest, "reason", lifecycle.JobRecallLinked, "reason"),
    (schemas.RecallLinkRequest, "reason", lifecycle.CommissionEntryRecorded, "reason"),
    (commission_schemas.UnlinkRecallRequest, "reason", lifecycle.JobRecallUnlinked, "reason"),
]


def max_length(model: type[BaseModel], field: str) -> int:
    """The field's maxLength in the model's JSON Schema (of its string branch)."""
    node: dict[str, Any] = model.model_json_schema()["properties"][field]
    found = [node.get("maxLength")] + [branch.get("maxLength") for branch in node.get("anyOf", [])]
    bounds = [bound for bound in found if bound is not None]
    assert bounds, f"{model.__name__}.{field} is unbounded"
    return max(bounds)


@pytest.mark.parametrize(
    ("source", "field", "event", "published"),
    FLOWS,
    ids=[f"{s.__name__}.{f}->{e.__name__}.{p}" for s, f, e, p in FLOWS],
)
def test_a_text_taken_in_fits_the_event_that_publishes_it(source, field, event, published):
    assert max_length(source, field) <= max_length(event, published)


def test_an_uploads_display_name_fits_the_document_event():
    name = safe_filename("x" * 10_000 + ".pdf", "application/pdf")
    assert 0 < len(name) <= max_length(lifecycle.JobDocumentAdded, "filename")
