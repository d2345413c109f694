"""Reads the console's job page needs (issue 18): a job's recall links both ways with
their chargebacks, one of its documents (a photo's thumbnail), and its timeline newest
first. Each is one bounded query."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from jobline_jobs.domain.documents import DOCUMENT_TYPES
from jobline_jobs.entrypoints.api import cursor, schemas, timeline_cursor
from jobline_jobs.entrypoints.api.deps import PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses

router = APIRouter(prefix="/v1/jobs/{job_id}", tags=["jobs"])
MAX_LINKS = 100  # a job is the original of a handful of recalls, never of hundreds
MAX_REVISIONS = 100  # each is a change after issue: a few per invoice


class LinkedChargeback(BaseModel):
    id: UUID
    technician_id: UUID = Field(description="The original job's technician, charged back")
    technician_name: str | None
    amount: Decimal = Field(description="Charged back (positive), in currency")
    reversed: bool = Field(description="The link was removed and the ledger reversed it")


class RecallLinkRecord(BaseModel):
    recall_job_id: UUID
    recall_number: str
    original_job_id: UUID
    original_number: str
    currency: str
    reason: str
    linked_at: datetime
    linked_by: str
    unlinked_at: datetime | None
    unlinked_by: str | None
    unlink_reason: str | None
    chargeback: LinkedChargeback | None = Field(description="None when nothing was earned")


class RecallLinks(BaseModel):
    items: list[RecallLinkRecord] = Field(
        description="Links where the job is the recall or the original, newest first;"
        f" removed ones too (unlinked_at set); at most {MAX_LINKS}"
    )


@router.get(
    "/recall-links",
    response_model=RecallLinks,
    responses=responses(401, 404, 422),
    summary="The job's recall links both ways, each with its chargeback",
)
async def recall_links(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> RecallLinks:
    rows = await rt.job_page.recall_links(who.tenant_id, job_id, MAX_LINKS)
    if rows is None:
        raise not_found("job")
    return RecallLinks(items=[_link(r) for r in rows])


def _link(r: dict[str, Any]) -> RecallLinkRecord:
    charged = None
    if r["chargeback_id"] is not None:
        charged = LinkedChargeback(
            id=r["chargeback_id"],
            technician_id=r["chargeback_technician_id"],
            technician_name=r["chargeback_technician_name"],
            amount=r["chargeback_amount"],
            reversed=r["chargeback_reversed"],
        )
    fields = {k: v for k, v in r.items() if not str(k).startswith("chargeback")}
    return RecallLinkRecord.model_validate({**fields, "chargeback": charged})


@router.get(
    "/documents/{document_id}",
    responses={
        **responses(401, 404, 422),
        200: {"content": {t: {} for t in DOCUMENT_TYPES}, "description": "The file"},
    },
    response_class=Response,
    summary="One photo or document of the job or its property, as uploaded",
)
async def document(job_id: UUID, document_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> Response:
    found = await rt.job_page.document(who.tenant_id, job_id, document_id)
    if found is None:
        raise not_found("document")
    try:
        data = await rt.blobs.get(found["blob_key"])
    except FileNotFoundError as missing:
        raise ApiError(404, "not_found", "the document's file is not stored") from missing
    # Only the types uploads are checked against are shown inline; anything an upstream
    # fact announced otherwise is a download, never a page of this origin.
    inline = found["content_type"] in DOCUMENT_TYPES
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        media_type=found["content_type"] if inline else "application/octet-stream",
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found['filename'])}",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=86400, immutable",  # a document id never changes
        },
    )


class InvoiceRevision(BaseModel):
    invoice_number: str
    revision: int = Field(description="1 when issued; each later change froze the next")
    cause: str = Field(description="What froze it")
    recorded_at: datetime
    snapshot_sha256: str
    currency: str
    total: Decimal = Field(description="The total this revision froze")
    balance_due: Decimal = Field(description="The balance this revision froze")


class InvoiceRevisions(BaseModel):
    items: list[InvoiceRevision] = Field(
        description=f"Newest first; empty until the invoice is issued; at most {MAX_REVISIONS}"
    )


@router.get(
    "/invoice/revisions",
    response_model=InvoiceRevisions,
    responses=responses(401, 404, 422),
    tags=["invoices"],
    summary="Every revision of the job's issued invoice, as each froze it, newest first",
)
async def invoice_revisions(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> InvoiceRevisions:
    rows = await rt.job_page.invoice_revisions(who.tenant_id, job_id, MAX_REVISIONS)
    if rows is None:
        raise not_found("job")
    return InvoiceRevisions(items=[InvoiceRevision(**r) for r in rows])


@router.get(
    "/timeline/newest-first",
    response_model=schemas.Timeline,
    responses=responses(401, 404, 422),
    summary="Every fact and action on the job, newest first, a page at a time",
)
async def newest_timeline(
    job_id: UUID,
    who: PrincipalDep,
    rt: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Entries per page")] = 100,
    before: Annotated[str | None, Query(alias="cursor", max_length=500)] = None,
) -> schemas.Timeline:
    query = cursor.fingerprint("timeline newest first", job_id)
    key = timeline_cursor.position(before, query)
    entries = await rt.job_page.newest_timeline(who.tenant_id, job_id, key, limit)
    if entries is None:
        raise not_found("job")
    return timeline_cursor.page(entries, limit, query)
