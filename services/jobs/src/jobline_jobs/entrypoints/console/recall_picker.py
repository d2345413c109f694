"""The recall dialog's picker of original jobs.

Only finished work can be recalled (the API refuses the rest), so jobs whose work is not
completed, or that were canceled, are never offered. A recall is nearly always for the
customer or property it came back to: their jobs come first, the same customer and
property before either alone. Other customers' jobs show only when the operator asks,
under a warning, because linking one charges a technician back for someone else's work.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.dialogs import job_of
from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
PER_SEARCH = 50  # rows asked of each search; the picker shows the finished ones among them


def can_be_original(recall: dict[str, Any], candidate: dict[str, Any]) -> bool:
    """Work completed, not canceled, and not the recall itself."""
    return (
        candidate["id"] != recall["id"]
        and candidate["completed_at"] is not None
        and candidate["step"] != "canceled"
    )


def closeness(recall: dict[str, Any], candidate: dict[str, Any]) -> int:
    """2: same customer and property; 1: one of them; 0: neither."""
    same_customer = candidate["customer"]["id"] == recall["customer"]["id"]
    same_property = candidate["property"]["id"] == recall["property"]["id"]
    return int(same_customer) + int(same_property)


def pick(
    recall: dict[str, Any], found: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The recall's own customer's or property's finished jobs (closest first, then the
    latest work first), and every other finished job found."""
    unique = {j["id"]: j for j in found if can_be_original(recall, j)}.values()
    latest = sorted(unique, key=lambda j: j["completed_at"], reverse=True)
    ranked = sorted(latest, key=lambda j: closeness(recall, j), reverse=True)
    return [j for j in ranked if closeness(recall, j)], [
        j for j in ranked if not closeness(recall, j)
    ]


async def _search(c: Console, text: str, **party: UUID | str) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": PER_SEARCH, **party}
    if text:
        params["q"] = text
    page: dict[str, Any] = await c.api.get("/v1/jobs", **params)
    return list(page["items"])


@router.get("/console/jobs/{job_id}/recall/candidates")
async def recall_candidates(
    job_id: UUID, request: Request, c: ConsoleDep, *, q: str = "", show_all: bool = False
) -> HTMLResponse:
    """Jobs the recall could be tied to, found by number, customer or address."""
    recall, text = await job_of(c, job_id), q.strip()[:100]
    found = await _search(c, text, customer_id=recall["customer"]["id"])
    found += await _search(c, text, property_id=recall["property"]["id"])
    if show_all:
        found += await _search(c, text)
    near, others = pick(recall, found)
    return render(
        request, "candidates.html", near=near, others=others if show_all else [],
        show_all=show_all, recall=recall, zone=c.who.time_zone,
    )  # fmt: skip
