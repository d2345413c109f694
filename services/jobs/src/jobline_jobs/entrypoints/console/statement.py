"""A parent's statement in the console: its billing schedule, what each stage billed and
was paid, and what remains (a parent fully scheduled into subjobs has no invoice)."""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.dialogs import dialog, job_of
from jobline_jobs.entrypoints.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)


@router.get("/console/jobs/{job_id}/statement")
async def statement_dialog(job_id: UUID, request: Request, c: ConsoleDep) -> HTMLResponse:
    job = await job_of(c, job_id)
    statement = await c.api.get(f"/v1/jobs/{job_id}/statement")
    return dialog(request, c, job, "statement.html", "Statement", statement=statement)
