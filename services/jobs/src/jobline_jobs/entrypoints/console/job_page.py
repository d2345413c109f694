"""The job page (``/jobs/{id}``): everything about one job on one page, read through the
API — summary, parties, visits, lines and money, invoice and its sends, subjobs, recall
links with their chargebacks, documents with upload, the timeline newest first and the
communications log. The row menu's action dialogs open from it too."""

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jobline_jobs.domain.documents import DOCUMENT_TYPES, IMAGE_TYPES, DocumentKind
from jobline_jobs.entrypoints.api.deps import RuntimeDep
from jobline_jobs.entrypoints.console import delivery_words, thread, timeline_words
from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.rendering import render, still_moving, templates
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
PAGE = "/jobs/{job_id}"
TIMELINE_PAGE = 50
COMMUNICATION_PAGES = 5  # of 200: the log shows a job's last 1,000 messages at most
KIND_LABELS = {
    "progress_photo": "Progress photo",
    "finished_photo": "Finished photo",
    "document": "Document",
}
templates.globals.update(
    delivery_problem=delivery_words.problem,
    timeline_what=timeline_words.what,
    timeline_details=timeline_words.details,
    kind_labels=KIND_LABELS,
    image_types=IMAGE_TYPES,
)


async def _optional(c: Console, path: str) -> dict[str, Any] | str:
    """The API's answer, or its refusal's message (an invoice not issued, say)."""
    try:
        return await c.api.get(path)
    except ApiRefusal as refusal:
        if refusal.status >= 500:
            raise
        return refusal.message


async def _communications(c: Console, job_id: UUID) -> list[dict[str, Any]]:
    """The job's texts and emails, newest first (the API pages them oldest first)."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(COMMUNICATION_PAGES):
        page = await c.api.get(f"/v1/jobs/{job_id}/communications", limit=200, cursor=cursor)
        found += page["items"]
        if (cursor := page["next_cursor"]) is None:
            break
    return found[::-1]


async def _invoice(c: Console, base: str) -> dict[str, Any]:
    """The issued invoice and its revisions, or why there is none."""
    invoice = await _optional(c, f"{base}/invoice")
    if isinstance(invoice, str):
        return {"invoice": None, "no_invoice": invoice, "revisions": []}
    revisions = await c.api.get(f"{base}/invoice/revisions")
    return {"invoice": invoice, "no_invoice": None, "revisions": revisions["items"]}


async def _subjobs(c: Console, job: dict[str, Any]) -> dict[str, Any]:
    parent = None
    if job["parent_job_id"]:
        parent = await c.api.get(f"/v1/jobs/{job['parent_job_id']}")
    schedule = None
    if job["subjob_ids"]:
        schedule = await c.api.get(f"/v1/jobs/{job['id']}/subjobs")
    return {"parent": parent, "schedule": schedule}


async def _reads(
    c: Console, job: dict[str, Any], timeline_cursor: str | None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    base = f"/v1/jobs/{job['id']}"
    return await asyncio.gather(
        c.api.get(f"{base}/recall-links"),
        c.api.get(f"{base}/attachments"),
        c.api.get(f"{base}/timeline/newest-first", limit=TIMELINE_PAGE, cursor=timeline_cursor),
        _invoice(c, base),
        _subjobs(c, job),
    )


async def _log(c: Console, job_id: UUID) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The communications log and the replies (issue 20) that join it in the thread."""
    return await asyncio.gather(_communications(c, job_id), thread.replies(c, job_id))


async def _context(c: Console, job_id: UUID, timeline_cursor: str | None) -> dict[str, Any]:
    base = f"/v1/jobs/{job_id}"
    job = await c.api.get(base)
    (links, files, timeline, invoice, family), (communications, replies) = await asyncio.gather(
        _reads(c, job, timeline_cursor), _log(c, job_id)
    )
    return {
        "job": job,
        "links": links["items"],
        "documents": [f for f in files["items"] if f["kind"] != "invoice"],
        "timeline": timeline["items"],
        "older_url": f"/jobs/{job_id}?timeline={timeline['next_cursor']}#timeline"
        if timeline["next_cursor"]
        else None,
        "newest_url": f"/jobs/{job_id}#timeline" if timeline_cursor else None,
        **invoice,
        "communications": communications,
        "thread": thread.thread(job_id, communications, replies),  # issue 20
        "moving": any(still_moving(m) for m in communications),
        "invoice_sends": [m for m in communications if m["invoice_number"]],
        **family,
    }


def _page(
    request: Request,
    c: Console,
    upload_limit: int,
    context: dict[str, Any],
    status: int = 200,
    **extra: Any,  # noqa: ANN401 - whatever the template reads
) -> HTMLResponse:
    return render(
        request,
        "job.html",
        status,
        who=c.who,
        csrf=c.csrf,
        zone=c.who.time_zone,
        upload_limit=upload_limit,
        accepted=",".join(DOCUMENT_TYPES),
        kinds=list(DocumentKind),
        can_act=c.who.role != "viewer",
        **context,
        **extra,
    )


@router.get(PAGE)
async def job_page(  # noqa: PLR0917 - FastAPI's parameters
    job_id: UUID,
    request: Request,
    c: ConsoleDep,
    rt: RuntimeDep,
    timeline: Annotated[str | None, Query(max_length=500)] = None,
    uploaded: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    context = await _context(c, job_id, timeline)
    # Only a file the job has: a link cannot make the page claim any other upload.
    shown = uploaded if any(d["filename"] == uploaded for d in context["documents"]) else None
    return _page(request, c, rt.upload_limit, context, uploaded=shown)


@router.get(f"{PAGE}/communications")
async def communications_log(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    """The log alone: the page polls it while a message may still change."""
    found, replies = await _log(c, job_id)
    return render(
        request,
        "job_communications.html",
        job={"id": job_id},
        communications=found,
        thread=thread.thread(job_id, found, replies),  # issue 20
        can_act=c.who.role != "viewer",
        zone=c.who.time_zone,
        moving=any(still_moving(m) for m in found),
    )


def _plain(refusal: ApiRefusal, limit: int) -> str:
    """The upload refusals an office person meets, in their words."""
    if refusal.code == "too_large":
        return f"The file is larger than {templates.filters['size'](limit)}; choose a smaller one."
    if refusal.code == "forbidden":
        return "Your role can read jobs but not change them; ask an operator to upload it."
    if refusal.code == "file_required":
        return "Choose a photo or document to upload."
    if refusal.code == "unsupported_type":
        return "A photo must be a JPEG, PNG or WebP image; a document may also be a PDF."
    return refusal.message


@router.post("/console/jobs/{job_id}/documents")
async def upload(job_id: UUID, request: Request, c: ConsoleDep, rt: RuntimeDep) -> Response:
    try:  # streamed on as it arrives: the API counts it and checks its type on the way
        added = await c.api.forward_upload("POST", f"/v1/jobs/{job_id}/documents", request)
    except ApiRefusal as refusal:
        context = await _context(c, job_id, None)
        error = _plain(refusal, rt.upload_limit)
        return _page(request, c, rt.upload_limit, context, refusal.status, upload_error=error)
    # After a POST, a GET: reloading the page does not upload again.
    done = f"/jobs/{job_id}?{urlencode({'uploaded': added.get('filename', '')})}#documents"
    return RedirectResponse(done, status_code=303)


@router.get("/console/jobs/{job_id}/documents/{document_id}")
async def document(job_id: UUID, document_id: UUID, c: ConsoleDep) -> Response:
    """A photo or document as the API serves it (thumbnails are the image, scaled)."""
    answer = await c.api.raw("GET", f"/v1/jobs/{job_id}/documents/{document_id}")
    if answer.status_code != 200:
        return Response(status_code=answer.status_code)
    kept = ("content-type", "content-disposition", "cache-control", "content-security-policy")
    return Response(
        answer.content,
        headers={k: v for k, v in answer.headers.items() if k in kept}
        | {"X-Content-Type-Options": "nosniff"},
    )
