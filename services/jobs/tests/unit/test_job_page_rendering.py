"""The job page rendered from the API's JSON (each answer validated by the API's own
response model), without a database: what a section shows and in which order."""

import uuid
from html.parser import HTMLParser
from typing import Any

from jobline_jobs.domain.actions import Action
from jobline_jobs.entrypoints.api import job_page as api_job_page
from jobline_jobs.entrypoints.api import schemas
from jobline_jobs.entrypoints.api.communications import CommunicationList
from jobline_jobs.entrypoints.api.documents import Attachments
from jobline_jobs.entrypoints.console import job_page
from jobline_jobs.entrypoints.console.api_client import Api, ApiRefusal
from jobline_jobs.entrypoints.console.rendering import templates
from jobline_jobs.entrypoints.console.session import Console
from jobline_jobs.service_layer.queries import Principal

JOB, ORIGINAL, PHOTO = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PARTY = {"id": str(uuid.uuid4()), "name": "Dana <script>alert(1)</script> Whitfield"}
DETAIL = schemas.JobDetail.model_validate({
    "id": JOB, "number": "J-00042", "summary": "Leak under the sink", "step": "awaiting_payment",
    "scheduled_start": "2026-12-01T15:00:00Z", "scheduled_end": "2026-12-01T17:00:00Z",
    "completed_at": None, "deferral": None, "customer": PARTY,
    "property": {"id": str(uuid.uuid4()), "name": "12 Elm St"},
    "technician": {"id": str(uuid.uuid4()), "name": "Ana Lopez"},
    "money": {"currency": "USD", "subtotal": "100.00", "tax": "8.00", "total": "108.00",
              "amount_paid": "0.00", "balance_due": "108.00"},
    "tax_rate": "0.08", "billing_address": None, "property_address": None,
    "contacts": [{"id": str(uuid.uuid4()), "belongs_to": "customer", "name": "Dana",
                  "phone": "+15555550101", "email": "dana@example.com", "role": None}],
    "line_items": [{"id": str(uuid.uuid4()), "code": "W", "description": "Washer swap",
                    "quantity": "1", "unit_price": "100.00", "amount": "100.00",
                    "taxable": True}],
    "dispatches": [], "recall_of": str(ORIGINAL),
    "available_actions": [{"action": a.value, "allowed": True, "reason": None} for a in Action],
}).model_dump(mode="json")  # fmt: skip
LINKS = api_job_page.RecallLinks.model_validate({"items": [{
    "recall_job_id": JOB, "recall_number": "J-00042", "original_job_id": ORIGINAL,
    "original_number": "J-00007", "currency": "USD", "reason": "Same leak",
    "linked_at": "2026-12-02T10:00:00Z", "linked_by": "operator:abc", "unlinked_at": None,
    "unlinked_by": None, "unlink_reason": None,
    "chargeback": {"id": uuid.uuid4(), "technician_id": uuid.uuid4(),
                   "technician_name": "Sam Ortiz", "amount": "40.00", "reversed": False},
}]}).model_dump(mode="json")  # fmt: skip
FILES = Attachments.model_validate({"items": [
    {"kind": "finished_photo", "id": PHOTO, "source": "job", "filename": "after.jpg",
     "content_type": "image/jpeg", "size_bytes": 2048},
    {"kind": "invoice", "id": JOB, "source": "invoice", "filename": "invoice-J-00042.pdf",
     "content_type": "application/pdf", "size_bytes": None},
]}).model_dump(mode="json")  # fmt: skip


def _entry(at: str, type_: str, **details: Any) -> dict[str, Any]:
    return {"at": at, "kind": "event", "type": type_, "cause": "api", "actor": "operator:abc",
            "details": details, "message_id": str(uuid.uuid4())}  # fmt: skip


TIMELINE = schemas.Timeline.model_validate({"items": [
    _entry("2026-12-03T10:00:02Z", "communication.requested", channel="email"),
    _entry("2026-12-03T10:00:01Z", "job.document_added", filename="after.jpg"),
], "next_cursor": "older"}).model_dump(mode="json")  # fmt: skip
SENT = CommunicationList.model_validate({"items": [{
    "id": uuid.uuid4(), "job_id": JOB, "channel": "sms", "subject": None, "body": "On my way",
    "attachments": [], "send_at": "2026-12-03T09:00:00Z", "requested_by": "operator:abc",
    "created_at": "2026-12-03T09:00:00Z",
    "deliveries": [{"id": uuid.uuid4(), "recipient_id": uuid.uuid4(), "recipient_name": "Dana",
                    "address": "+15555550101", "status": "failed", "error_code": "30003",
                    "error_message": "Unreachable destination handset",
                    "updated_at": "2026-12-03T09:00:05Z"}],
}], "next_cursor": None}).model_dump(mode="json")  # fmt: skip


class CannedApi(Api):
    """The API's answers by path, as JSON; the invoice is not issued."""

    def __init__(self) -> None:  # no transport: nothing is called
        base = f"/v1/jobs/{JOB}"
        self.answers = {
            base: DETAIL,
            f"{base}/recall-links": LINKS,
            f"{base}/attachments": FILES,
            f"{base}/timeline/newest-first": TIMELINE,
            f"{base}/communications": SENT,
            f"{base}/conversation": {"items": [], "next_cursor": None},  # issue 20
        }

    async def get(self, path: str, **params: str | int | None) -> dict[str, Any]:
        if path.endswith("/invoice"):
            raise ApiRefusal(404, "not_issued", "the job's invoice is not issued")
        return self.answers[path]


class Outline(HTMLParser):
    """The page's headings, table captions and image alternatives, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"h1", "h2", "caption", "th"}:
            self._open = tag
            self.found.append((tag, ""))
        if tag == "img":
            self.found.append(("img", dict(attrs).get("alt") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            tag, text = self.found[-1]
            self.found[-1] = (tag, " ".join(f"{text} {data}".split()))


async def _page() -> str:
    who = Principal("t-1", "operator", "America/Chicago", uuid.uuid4())
    context = await job_page._context(Console(who, CannedApi(), "csrf"), JOB, None)
    return templates.get_template("job.html").render(
        request=None, who=who, csrf="csrf", zone=who.time_zone, upload_limit=10 * 1024 * 1024,
        accepted="image/jpeg", kinds=[], can_act=True, **context,
    )  # fmt: skip


async def test_each_section_has_its_heading_in_order():
    outline = Outline()
    outline.feed(await _page())
    assert [t for tag, t in outline.found if tag == "h2"] == [
        "Summary", "Parties", "Visits", "Lines and money", "Invoice", "Subjobs",
        "Recall links", "Photos and documents", "Timeline", "Communications",
    ]  # fmt: skip
    assert ("h1", "Job J-00042") in outline.found


async def test_the_page_shows_the_apis_json_in_plain_words():
    html = await _page()
    outline = Outline()
    outline.feed(html)
    headers = [t for tag, t in outline.found if tag == "th"]
    # newest first, as the API gave them, in words
    assert headers.index("Email requested") < headers.index("Document added")
    assert "This job is a recall of J-00007" in headers
    assert "USD 40.00" in html
    assert "Sam Ortiz" in html
    assert ("img", "after.jpg") in outline.found  # the photo's thumbnail; not the invoice
    assert "invoice-J-00042.pdf" not in html
    assert "The phone could not be reached (switched off or out of coverage)." in html
    assert "the job&#39;s invoice is not issued" in html
    assert "<script>alert(1)</script>" not in html
    assert f'href="/jobs/{JOB}?timeline=older#timeline"' in html
    assert 'data-max-bytes="10485760"' in html
