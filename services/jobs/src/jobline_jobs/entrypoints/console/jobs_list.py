"""The Jobs list page (views with counts, search, filters, sorts, pages) and each row's
actions menu."""

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.domain.actions import Action
from jobline_jobs.domain.views import View
from jobline_jobs.entrypoints.console.api_client import ApiRefusal
from jobline_jobs.entrypoints.console.list_state import SORTS, ListState, caption, pager
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25


@dataclass(frozen=True)
class MenuItem:
    label: str
    allowed: bool
    reason: str | None
    dialog: str | None = None  # the dialog's URL, or
    href: str | None = None  # a plain link (the PDF download)


@router.get("/")
async def jobs_page(
    request: Request,
    c: ConsoleDep,
    *,
    view: View = View.ALL,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "scheduled",
    technician_id: Annotated[str, Query(max_length=40)] = "",
    scheduled_from: Annotated[str, Query(max_length=10)] = "",
    scheduled_to: Annotated[str, Query(max_length=10)] = "",
    balance_due: Annotated[str, Query(max_length=5)] = "",
    cursor: Annotated[str | None, Query(max_length=600)] = None,
    prev: Annotated[list[str] | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE_SIZE,
) -> HTMLResponse:
    state = ListState(
        view.value,
        q,
        sort if sort in SORTS else "scheduled",
        technician_id,
        scheduled_from,
        scheduled_to,
        balance_due == "true",
        limit,
    )
    counts = (await c.api.get("/v1/jobs/views"))["views"]
    technicians = (await c.api.get("/v1/jobs/technicians"))["items"]
    error: str | None = None
    page: dict[str, Any] = {"items": [], "next_cursor": None}
    matching: dict[str, Any] = {"count": 0, "more": False}
    try:
        page = await c.api.get("/v1/jobs", **state.api_filters(), cursor=cursor, limit=limit)
        if state.filtered:
            matching = await c.api.get("/v1/jobs/count", **state.api_filters())
    except ApiRefusal as refusal:
        error = refusal.message
    count = next(v["count"] for v in counts if v["view"] == view.value)
    context: dict[str, Any] = {
        "who": c.who,
        "csrf": c.csrf,
        "views": counts,
        "view": view.value,
        "caption": caption(count, state, matching),
        "state": state,
        "sorts": SORTS,
        "technicians": technicians,
        "jobs": page["items"],
        "error": error,
        "pager": pager(state, cursor, prev or [], page["next_cursor"]),
    }
    partial = (
        request.headers.get("hx-target") == "jobs"
        and request.headers.get("hx-history-restore-request") != "true"
    )
    template = "jobs_region.html" if partial else "jobs.html"
    return render(request, template, partial=partial, **context)


def _items(job: dict[str, Any]) -> list[MenuItem]:
    base = f"/console/jobs/{job['id']}"
    allowed = {a["action"]: (a["allowed"], a["reason"]) for a in job["available_actions"]}

    def item(action: Action, label: str, dialog: str | None = None) -> MenuItem:
        ok, reason = allowed[action.value]
        return MenuItem(label, ok, reason, dialog, None if dialog else f"{base}/invoice.pdf")

    items = [
        item(Action.ISSUE_INVOICE, "Issue invoice", f"{base}/issue"),
        item(Action.DOWNLOAD_INVOICE, "Download invoice"),
    ]
    if job.get("staged_billing"):  # a parent: its statement, beside (or instead of) an invoice
        items.append(
            MenuItem("View statement", allowed=True, reason=None, dialog=f"{base}/statement")
        )
    items += [
        item(Action.RESEND_INVOICE, "Resend invoice to customer", f"{base}/resend"),
        item(Action.DEFER_COMMISSION, "Defer commission", f"{base}/defer"),
    ]
    if job["deferral"] is not None:  # un-deferring is the way out of a deferral
        items.append(
            MenuItem("Un-defer commission", allowed=True, reason=None, dialog=f"{base}/undefer")
        )
    items += [
        item(
            Action.VIEW_INVOICE_DISPATCHES,
            "View all invoice dispatches",
            f"{base}/dispatches",
        ),
        item(Action.SEND_COMMUNICATION, "Send text message", f"{base}/text"),
        item(Action.SEND_COMMUNICATION, "Send email", f"{base}/email"),
        item(Action.CREATE_SUBJOB, "Create subjob", f"{base}/subjobs"),
        item(Action.LINK_RECALL, "Link recall job", f"{base}/recall"),
    ]
    if job["recall_of"] is not None:  # unlinking is the way out of a link
        items.append(MenuItem("Unlink recall", allowed=True, reason=None, dialog=f"{base}/unlink"))
    return items


@router.get("/console/jobs/{job_id}/actions")
async def actions_menu(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await c.api.get(f"/v1/jobs/{job_id}")
    return render(request, "menu.html", job=job, items=_items(job))
