"""The bulk text of the list's selected rows: one message (typed, or a template's body),
merged per job with that job's values and sent to its contacts that take texts.

The rules are the single text dialog's, because each job goes through the same API call:
one segment after merging (the API's plain-word refusal names the count), opted-out phones
left out, merge fields a template may use. The message is read once, before any job."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jobline_jobs.entrypoints.console.rendering import render
from jobline_jobs.entrypoints.console.session import Console, ConsoleDep

router = APIRouter(include_in_schema=False)
Fields = dict[str, list[str]]


class NoTextContact(Exception):
    """This job has no contact a text may go to; the message says why."""


@router.get("/console/jobs/bulk/text-fields")
async def text_fields(request: Request, c: ConsoleDep) -> HTMLResponse:
    """The bulk form's message and template fields (loaded with the list page)."""
    found = await c.api.get("/v1/tenant/templates", channel="sms")
    return render(request, "bulk_text_fields.html", templates=found["items"])


async def message_of(c: Console, fields: Fields) -> str | None:
    """The text to send: what was typed, else the chosen template's body (its merge fields
    are filled per job by the API). None: neither was given."""
    typed = fields.get("message", [""])[0].strip()
    if typed:
        return typed
    chosen = fields.get("template_id", [""])[0]
    if not chosen:
        return None
    found = await c.api.get("/v1/tenant/templates", channel="sms")
    bodies = {t["id"]: t["body"] for t in found["items"]}
    return bodies.get(chosen)


async def send_text(c: Console, job: dict[str, Any], fields: Fields) -> str:
    people = (await c.api.get(f"/v1/jobs/{job['id']}/recipients"))["items"]
    phones = [p for p in people if p["phone"]]
    reachable = [p["id"] for p in phones if not p["opted_out"]]
    if not phones:
        raise NoTextContact("No customer or property contact has a mobile number.")
    if not reachable:
        raise NoTextContact("Every contact with a mobile number has opted out of texts.")
    body = {
        "channel": "sms",
        "recipient_ids": reachable,
        "body": fields["message"][0],
        "merge_fields": True,
        "plain_punctuation": "plain_punctuation" in fields,
    }
    await c.api.post(f"/v1/jobs/{job['id']}/communications", body)
    said = f"Text on its way to {_contacts(len(reachable))}"
    left_out = len(phones) - len(reachable)
    if left_out:
        were = "was" if left_out == 1 else "were"
        said += f"; {_contacts(left_out)} opted out and {were} not texted"
    return said + "."


def _contacts(count: int) -> str:
    return f"{count} contact{'s' if count != 1 else ''}"
