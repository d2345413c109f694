"""The unit of work and the repositories it hands to handlers (the ports).

One unit of work is one database transaction for one incoming message: the claim of
the message, the new state, the timeline and the outbox commit together or not at all.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from jobline_jobs.domain import commands
from jobline_jobs.domain.commissions import CommissionAccount, CommissionTerms
from jobline_jobs.domain.communications import Contact, StoredFile
from jobline_jobs.domain.email_engagement import RecordEngagement
from jobline_jobs.domain.events import Business
from jobline_jobs.domain.invoice_email import InvoiceEmail
from jobline_jobs.domain.issued_invoices import InvoiceTerms, IssuedInvoice
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.sends import Communication, RenderRequest, TrackedDelivery
from jobline_jobs.service_layer.reply_ports import Replies
from jobline_jobs.service_layer.templates import TemplateStore
from jobline_jobs.service_layer.tenant_settings import TenantSettingsStore


@dataclass(frozen=True)
class SourceMessage:
    """Where a message came from, kept so a rejected one can be dead-lettered as is."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class KeyClaim:
    """An API request's hold on its Idempotency-Key. Its effect commits only while the
    hold is still its own: a retry may take over the key of a request that died before
    any effect, and the first request, if it was only slow, must then change nothing."""

    tenant_id: str
    key: str
    claim_id: UUID


@dataclass(frozen=True)
class Causation:
    """The message being handled: its identity flows into everything it causes."""

    consumer: str
    message_id: UUID
    message_type: str
    correlation_id: UUID
    occurred_at: datetime
    actor: str
    source: SourceMessage | None = None
    key_claim: KeyClaim | None = None  # an API request's Idempotency-Key, when it sent one
    # issue 19: the messages it causes are stamped with Jobline's own UTC time of the
    # change, and, when it is a consumed message, with that message's occurred_at too.
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    source_occurred_at: datetime | None = None
    # The consumed message's W3C traceparent, when it came with one (issue 19): what it
    # causes stays in its trace when the handling is not (a batch, tracing export off).
    traceparent: str | None = None


class JobRepository(ABC):
    """Jobs of every tenant; every method is scoped by ``tenant_id``."""

    @abstractmethod
    async def get(self, tenant_id: str, job_id: UUID) -> Job | None:
        """The job, locked for this unit of work, or None."""

    @abstractmethod
    def add(self, job: Job) -> None:
        """Track a new job; it is inserted on commit."""

    @abstractmethod
    async def has_payment(self, tenant_id: str, payment_id: UUID) -> bool:
        """Whether this payment was recorded already (on any job)."""

    @abstractmethod
    async def originals_of(self, tenant_id: str, job_id: UUID) -> frozenset[UUID]:
        """Every job ``job_id`` is (transitively) a recall of."""

    @abstractmethod
    def seen(self) -> list[Job]:
        """Jobs loaded or added in this unit of work."""

    @abstractmethod
    async def due_subjobs(self, at: datetime, limit: int) -> list[Job]:
        """Scheduled subjobs (any tenant) whose bill_on has come by ``at`` in their
        tenant's zone, locked; those another unit of work holds are skipped, so several
        replicas share the schedule."""


class Directory(ABC):
    """Tenants and the parties jobs refer to: customers, properties, technicians."""

    @abstractmethod
    async def tenant_exists(self, tenant_id: str) -> bool: ...

    @abstractmethod
    async def upsert_customer(self, cmd: commands.UpsertCustomer) -> bool:
        """Apply unless a newer upsert was applied already; True if applied."""

    @abstractmethod
    async def upsert_property(self, cmd: commands.UpsertProperty) -> bool: ...

    @abstractmethod
    async def upsert_technician(self, cmd: commands.UpsertTechnician) -> bool: ...

    @abstractmethod
    async def ensure_parties(self, cmd: commands.DispatchJob) -> None:
        """Make placeholders for a job's customer, property and technician.

        Upserts travel on other partitions than the job's facts, so a job can arrive
        before its customer; the placeholder is filled when the upsert comes.
        """

    @abstractmethod
    async def property_exists(self, tenant_id: str, property_id: UUID) -> bool: ...

    @abstractmethod
    async def technician_terms(
        self, tenant_id: str, technician_id: UUID
    ) -> tuple[Decimal, dict[str, Decimal]]:
        """The technician's commission rate and rate card (code → unit price)."""

    @abstractmethod
    async def chargeback_percent(self, tenant_id: str) -> Decimal:
        """The tenant's chargeback policy percentage (1 = 100 %)."""

    @abstractmethod
    async def add_document(self, cmd: commands.AddDocument) -> bool:
        """Store the document record; False if that document id exists already."""

    @abstractmethod
    async def time_zone(self, tenant_id: str) -> str:
        """The tenant's time zone (its "today")."""

    @abstractmethod
    async def default_tax_rate(self, tenant_id: str) -> Decimal:
        """The tenant's default tax rate (a setting), for a job upstream sent without one."""

    @abstractmethod
    async def business(self, tenant_id: str) -> Business:
        """The tenant's business name and email (settings): who its emails are from."""

    @abstractmethod
    async def invoice_email(self, tenant_id: str) -> InvoiceEmail:
        """The tenant's wording of invoice emails (settings)."""

    # Issue 16, commissions

    @abstractmethod
    async def technician_exists(self, tenant_id: str, technician_id: UUID) -> bool:
        """Whether the tenant knows the technician (upserted, or named by a job)."""

    @abstractmethod
    async def commission_terms(
        self, tenant_id: str, technician_ids: Iterable[UUID]
    ) -> CommissionTerms:
        """The tenant's commission split rule and these technicians' rates in force now."""


class Communications(ABC):
    """Customer communications, and what a send needs to know of the job's parties."""

    @abstractmethod
    async def contacts(
        self, tenant_id: str, customer_id: UUID, property_id: UUID
    ) -> dict[UUID, Contact]:
        """The contacts of the customer and the property."""

    @abstractmethod
    async def opted_out(self, tenant_id: str) -> frozenset[str]:
        """The phones that replied STOP."""

    @abstractmethod
    async def files(self, tenant_id: str, job_id: UUID) -> dict[tuple[str, UUID], StoredFile]:
        """The files of the job and its property, by (kind, id)."""

    @abstractmethod
    def add(self, communication: Communication) -> None:
        """Track a new communication; it is inserted on commit."""

    @abstractmethod
    async def due(self, limit: int, at: datetime) -> list[Communication]:
        """Scheduled communications (any tenant) whose time has come by ``at`` and that were
        not canceled, locked; those another unit of work holds are skipped, so several
        replicas share the schedule."""

    @abstractmethod
    async def get(self, tenant_id: str, communication_id: UUID) -> Communication | None:
        """The communication, locked for this unit of work, or None (issue 18)."""

    @abstractmethod
    def seen(self) -> list[Communication]:
        """Communications added or loaded in this unit of work."""


@dataclass(frozen=True)
class SnapshotSources:
    """What an invoice snapshot needs beyond the job aggregate: the job's parties as the
    read side has them (``job``), the tenant's branding, and for a subjob its parent's
    number and schedule."""

    job: dict[str, Any]
    tenant: dict[str, Any]
    schedule: list[dict[str, Any]]
    parent_number: str | None


class Invoices(ABC):
    """Issued invoices (one per job), the tenant's counter and terms, what a snapshot is
    built from, and the payments a refund may give back."""

    @abstractmethod
    async def get(self, tenant_id: str, job_id: UUID) -> IssuedInvoice | None:
        """The job's issued invoice (the job's lock guards it), or None."""

    @abstractmethod
    async def next_number(self, tenant_id: str) -> int:
        """Take the tenant's next invoice sequence number (the tenant is locked until the
        unit of work ends, so numbers are given in issue order and never twice)."""

    @abstractmethod
    async def next_credit_note_number(self, tenant_id: str) -> int:
        """Take the tenant's next credit-note sequence number (under the tenant's lock,
        as ``next_number``: issue order, never twice)."""

    @abstractmethod
    async def terms(self, tenant_id: str) -> InvoiceTerms:
        """The tenant's zone, payment terms and invoice revision convention."""

    @abstractmethod
    async def sources(self, job: Job) -> SnapshotSources:
        """What the snapshot of ``job`` (as the aggregate is now) prints beyond it."""

    @abstractmethod
    async def refundable(self, tenant_id: str, payment_id: UUID) -> tuple[UUID, Decimal] | None:
        """The payment's job and what of it was not refunded yet; None if not recorded."""

    @abstractmethod
    def add(self, invoice: IssuedInvoice) -> None:
        """Track a newly issued invoice; it is inserted on commit."""

    @abstractmethod
    def seen(self) -> list[IssuedInvoice]: ...


class InvoiceRenders(ABC):
    """Renders of invoice snapshots: asked for, and what the invoicing service reported."""

    @abstractmethod
    async def record(self, cmd: commands.RecordInvoiceRender) -> bool:
        """Remember the outcome for the snapshot (a later outcome wins, but never over a
        rendered PDF) if the command's tenant asked for its render; False, recording
        nothing, if it did not."""

    @abstractmethod
    async def requested(self, tenant_id: str, job_id: UUID, snapshot_sha256: str) -> bool:
        """Whether a render of this snapshot was asked for already."""

    @abstractmethod
    def add(self, request: RenderRequest) -> None:
        """Track a new render request; it is inserted on commit."""

    @abstractmethod
    def seen(self) -> list[RenderRequest]: ...


class DeliveryStatuses(ABC):
    """Where each delivery of a communication stands, and who opted out."""

    @abstractmethod
    async def get(self, tenant_id: str, delivery_id: UUID) -> TrackedDelivery | None:
        """The tenant's delivery, locked for this unit of work, or None (if it is another
        tenant's too)."""

    @abstractmethod
    def seen(self) -> list[TrackedDelivery]: ...

    @abstractmethod
    async def record_opt_out(self, cmd: commands.RecordOptOut) -> None: ...

    # issue 19
    @abstractmethod
    async def text_answered_by(self, cmd: commands.RecordOptOut) -> TrackedDelivery | None:
        """The tenant's latest text to ``cmd.phone`` that left, locked, when this STOP
        turns the number from reachable to opted out; None for a repeat, a STOP older
        than the number's last change, or a number no text of the tenant went to."""

    # issue 20
    @abstractmethod
    def record_engagement(self, cmd: RecordEngagement) -> None:
        """Merge an email's reported engagement into its delivery (at commit)."""


class CommissionLedger(ABC):
    """Each job's commission ledger (append-only entries)."""

    @abstractmethod
    async def account(self, job: Job) -> CommissionAccount:
        """The job's ledger. Only after ``jobs.get`` locked the job: entries of a job
        are appended under its row lock."""

    @abstractmethod
    def seen(self) -> list[CommissionAccount]: ...


class UnitOfWork(ABC):
    jobs: JobRepository
    directory: Directory
    communications: Communications
    invoices: Invoices
    invoice_renders: InvoiceRenders
    deliveries: DeliveryStatuses
    commissions: CommissionLedger
    causation: Causation
    tenant_settings: TenantSettingsStore
    templates: TemplateStore  # issue 18
    replies: Replies  # issue 20

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abstractmethod
    async def claim(self) -> bool:
        """Record the message as handled; False if it was handled before."""

    @abstractmethod
    def attempt(self) -> AbstractAsyncContextManager[None]:
        """A savepoint: on error, the handler's changes are undone but the claim stays."""

    @abstractmethod
    async def record_rejection(
        self, tenant_id: str, job_id: UUID | None, kind: str, reason: str
    ) -> None:
        """Put the refusal on the job's timeline (if any) and dead-letter the message."""

    @abstractmethod
    async def mark_applied(self, claim: KeyClaim) -> None:
        """Record, in this transaction, that the request holding ``claim`` took effect;
        Conflict if a retry has taken its Idempotency-Key over."""

    @abstractmethod
    async def commit(self) -> None: ...

    @abstractmethod
    async def rollback(self) -> None: ...
