"""The job page's communications log as a thread (issue 20): the job's messages and its
customers' replies, newest first; each reply names the recipient it came from (by the
address a message went to) so the operator can answer them in place."""

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from jobline_jobs.entrypoints.console.session import Console

CONVERSATION_PAGES = 5  # of 200 entries, as the log's messages


async def replies(c: Console, job_id: UUID) -> list[dict[str, Any]]:
    """The job's replies, oldest first."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(CONVERSATION_PAGES):
        page = await c.api.get(f"/v1/jobs/{job_id}/conversation", limit=200, cursor=cursor)
        found += [i for i in page["items"] if i["kind"] == "reply"]
        if (cursor := page["next_cursor"]) is None:
            break
    return found


def answer_url(job_id: UUID, reply: dict[str, Any], recipient_id: str) -> str:
    """The text or email dialog with the reply's sender chosen (and "Re:" its subject)."""
    if reply["channel"] != "email":
        return f"/console/jobs/{job_id}/text?{urlencode({'to': recipient_id})}"
    subject = reply["subject"] or ""
    if subject and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    query = urlencode({"to": recipient_id, "subject": subject[:250]})
    return f"/console/jobs/{job_id}/email?{query}"


def thread(
    job_id: UUID, communications: list[dict[str, Any]], replies: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Messages (newest first, as given) and replies in one list, newest first."""
    people = {
        d["address"].lower(): (d["recipient_id"], d["recipient_name"])
        for m in reversed(communications)
        for d in m["deliveries"]
    }
    entries = [{"kind": "message", "at": m["created_at"], "message": m} for m in communications]
    for r in replies:
        recipient_id, name = people.get(r["sender"].lower(), (None, None))
        answer = answer_url(job_id, r, recipient_id) if recipient_id else None
        entries.append(
            {"kind": "reply", "at": r["received_at"], "reply": r, "answer": answer, "name": name}
        )
    return sorted(entries, key=lambda e: str(e["at"]), reverse=True)
