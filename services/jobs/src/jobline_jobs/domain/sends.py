"""The aggregates of customer communications: a communication with its deliveries, one
delivery's status, and a request to render an invoice. Each records its events."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID, uuid4

from jobline_jobs.domain import commands
from jobline_jobs.domain.communications import (
    Contact,
    File,
    StoredFile,
    attachments,
    check_content,
    recipients,
)
from jobline_jobs.domain.delivery_outcomes import (
    OUTCOMES,
    CommunicationOutcome,
    RecipientOptedOut,
    advances,
)
from jobline_jobs.domain.errors import Conflict, InvalidRequest
from jobline_jobs.domain.events import (
    Addressee,
    Business,
    CommunicationCanceled,
    CommunicationRequested,
    DeliveriesReleased,
    DeliveryStatusChanged,
    Event,
    InvoiceRenderRequested,
    InvoiceSent,
    SentFile,
)


@dataclass(frozen=True)
class Delivery:
    to: Addressee
    status: str  # opted_out, scheduled, queued, then what the comms service reports


@dataclass
class Communication:
    tenant_id: str
    communication_id: UUID
    job_id: UUID
    job_number: str
    channel: str
    subject: str | None
    body: str
    files: tuple[SentFile, ...]
    send_at: datetime
    requested_by: str
    deliveries: list[Delivery]
    invoice: commands.InvoicePdf | None = None
    released: bool = False
    canceled_by: str | None = None  # who called it off before it left
    traceparent: str | None = None  # of the request that asked for it
    events: list[Event] = field(default_factory=list)

    @classmethod
    def request(
        cls,
        cmd: commands.SendCommunication,
        *,
        job_number: str,
        requested_by: str,
        contacts: Mapping[UUID, Contact],
        opted_out: frozenset[str],
        files: Mapping[tuple[str, UUID], StoredFile],
        sender: Business,
    ) -> "Communication":
        """A new communication, released at once (from ``sender``) when its time has come
        already."""
        check_content(cmd.channel, cmd.body, cmd.subject, cmd.attachments)
        chosen = recipients(cmd.channel, cmd.recipient_ids, contacts, opted_out)
        attached = attachments(cmd.attachments, {k: f.file for k, f in files.items()})
        stored = [files[(f.kind, f.file_id)] for f in attached]
        communication = cls(
            tenant_id=cmd.tenant_id,
            communication_id=cmd.communication_id,
            job_id=cmd.job_id,
            job_number=job_number,
            channel=cmd.channel,
            subject=cmd.subject,
            body=cmd.body,
            files=tuple(_sent(f) for f in stored),
            send_at=max(cmd.send_at, cmd.occurred_at),
            requested_by=requested_by,
            deliveries=[
                Delivery(
                    Addressee(uuid4(), r.contact.contact_id, r.contact.name, r.address),
                    "opted_out" if r.opted_out else "scheduled",
                )
                for r in chosen
            ],
            invoice=cmd.invoice if ("invoice", cmd.job_id) in cmd.attachments else None,
        )
        communication.events.append(communication._requested())
        if cmd.send_at <= cmd.occurred_at:
            communication.release(sender, later=False)
        return communication

    def _requested(self) -> CommunicationRequested:
        names = tuple(d.to.recipient_name for d in self.deliveries)
        reachable = sum(d.status != "opted_out" for d in self.deliveries)
        common = (self.job_id, self.job_number, self.communication_id, self.channel, names)
        if self.invoice is not None:
            return InvoiceSent(
                *common,
                reachable,
                len(self.files),
                self.send_at,
                self.requested_by,
                self.invoice.number,
                self.invoice.pdf_sha256,
            )
        return CommunicationRequested(
            *common, reachable, len(self.files), self.send_at, self.requested_by
        )

    def release(self, sender: Business, *, later: bool = True) -> None:
        """Queue every scheduled delivery: one command each goes to the comms service,
        an email's from ``sender``. ``later``: by the scheduler, not by the request that
        asked for it."""
        self.deliveries = [
            replace(d, status="queued") if d.status == "scheduled" else d for d in self.deliveries
        ]
        self.released = True
        self.events.append(
            DeliveriesReleased(
                job_id=self.job_id,
                job_number=self.job_number,
                communication_id=self.communication_id,
                channel=self.channel,
                subject=self.subject,
                body=self.body,
                files=self.files,
                deliveries=tuple(d.to for d in self.deliveries if d.status == "queued"),
                later=later,
                traceparent=self.traceparent,
                sender=sender if self.channel == "email" else None,
            )
        )

    def cancel(self, by: str) -> None:
        """Call the communication off while it waits for its time; once it has left (or
        was called off), Conflict says so."""
        if self.canceled_by is not None:
            raise Conflict("this message was canceled already")
        if self.released:
            raise Conflict("this message has already been sent, so it can no longer be canceled")
        self.deliveries = [
            replace(d, status="canceled") if d.status == "scheduled" else d for d in self.deliveries
        ]
        self.canceled_by = by
        self.events.append(
            CommunicationCanceled(
                self.job_id, self.job_number, self.communication_id, self.channel, self.send_at, by
            )
        )


def invoice_filename(number: str) -> str:
    """The name an invoice PDF has for the customer (and wherever an operator sees it)."""
    return f"{number}.pdf"


def invoice_file(job_id: UUID, pdf: commands.InvoicePdf) -> StoredFile:
    """The invoice PDF as a file of the job an email may attach."""
    return StoredFile(
        File("invoice", job_id, pdf.size_bytes),
        pdf.blob_key,
        invoice_filename(pdf.number),
        "application/pdf",
        pdf.pdf_sha256,
    )


def _sent(stored: StoredFile) -> SentFile:
    if stored.sha256 is None:
        raise InvalidRequest(
            "an attachment announced by the dispatch system"
            " has no digest; upload it through the API to attach it"
        )
    return SentFile(
        stored.blob_key, stored.filename, stored.content_type, stored.file.size_bytes, stored.sha256
    )


@dataclass
class TrackedDelivery:
    """One delivery whose status the comms service reports."""

    tenant_id: str
    delivery_id: UUID
    communication_id: UUID
    job_id: UUID
    job_number: str
    channel: str
    recipient_name: str
    status: str
    error_code: str | None = None
    error_message: str | None = None
    updated_at: datetime | None = None
    recipient_id: UUID | None = None  # the contact it went to
    customer_id: UUID | None = None  # the job's
    events: list[Event] = field(default_factory=list)

    def report(
        self, status: str, error_code: str | None, error_message: str | None, at: datetime
    ) -> None:
        """Move the delivery on; a repeat or a late, earlier status changes nothing."""
        if not advances(self.status, status):
            return
        self.status, self.error_code, self.error_message = status, error_code, error_message
        self.updated_at = at
        self.events.append(
            DeliveryStatusChanged(
                job_id=self.job_id,
                job_number=self.job_number,
                delivery_id=self.delivery_id,
                communication_id=self.communication_id,
                recipient=self.recipient_name,
                channel=self.channel,
                status=status,
                error_code=error_code,
                error_message=error_message,
                at=at,
            )
        )
        if status in OUTCOMES:
            self.events.append(
                CommunicationOutcome(
                    *(self.job_id, self.job_number, self.communication_id, self.delivery_id),
                    *(self.recipient_id, self.channel, OUTCOMES[status], error_code),
                )
            )

    def answered_by_opt_out(self, keyword: str) -> None:
        """A STOP to the tenant's number answered this text (the latest to the number),
        which was reachable until now."""
        self.events.append(
            RecipientOptedOut(
                *(self.job_id, self.job_number, self.communication_id, self.delivery_id),
                *(self.recipient_id, self.customer_id, keyword),
            )
        )


@dataclass
class RenderRequest:
    """A request for the PDF of one invoice snapshot: made once per snapshot."""

    tenant_id: str
    job_id: UUID
    snapshot_sha256: str
    events: list[Event] = field(default_factory=list)

    @classmethod
    def of(cls, cmd: commands.RequestInvoiceRender) -> "RenderRequest":
        request = cls(cmd.tenant_id, cmd.job_id, cmd.snapshot_sha256)
        request.events.append(
            InvoiceRenderRequested(cmd.job_id, cmd.job_number, cmd.snapshot_sha256, cmd.snapshot)
        )
        return request
